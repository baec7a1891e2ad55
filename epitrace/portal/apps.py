from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "epitrace.portal"
    verbose_name = "Constituent portal"
