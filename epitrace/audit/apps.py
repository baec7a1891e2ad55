from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "epitrace.audit"
    label = "audit"
    verbose_name = "Audit"
