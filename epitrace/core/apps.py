from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "epitrace.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from epitrace.core import lookups  # noqa: F401 (registers the __any lookup)
