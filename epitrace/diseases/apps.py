from django.apps import AppConfig


class DiseasesConfig(AppConfig):
    name = "epitrace.diseases"
    label = "diseases"
    verbose_name = "Disease profiles"
