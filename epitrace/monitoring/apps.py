from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "epitrace.monitoring"
    label = "monitoring"
    verbose_name = "Daily monitoring"
