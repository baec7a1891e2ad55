from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "epitrace.cases"
    label = "cases"
    verbose_name = "Cases"
