from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "epitrace.core"
    label = "core"
    verbose_name = "Core"
