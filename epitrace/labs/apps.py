from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "epitrace.labs"
    label = "labs"
    verbose_name = "Lab results"
