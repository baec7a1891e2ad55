from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "epitrace.web"
    label = "web"
    verbose_name = "Staff interface"
