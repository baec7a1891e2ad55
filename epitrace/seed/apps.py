from django.apps import AppConfig


class SeedConfig(AppConfig):
    name = "epitrace.seed"
    label = "seed"
    verbose_name = "Synthetic data"
