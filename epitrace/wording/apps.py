from django.apps import AppConfig


class WordingConfig(AppConfig):
    name = "epitrace.wording"
    label = "wording"
    verbose_name = "Message wording"
