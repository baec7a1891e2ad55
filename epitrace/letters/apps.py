from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "epitrace.letters"
    label = "letters"
    verbose_name = "Letters"
