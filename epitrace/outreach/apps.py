from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "epitrace.outreach"
    label = "outreach"
    verbose_name = "Outreach messages"
