from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    name = "epitrace.interviews"
    label = "interviews"
    verbose_name = "Interviews"
