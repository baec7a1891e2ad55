from django.apps import AppConfig


class JurisdictionsConfig(AppConfig):
    name = "epitrace.jurisdictions"
    label = "jurisdictions"
    verbose_name = "Jurisdictions"
