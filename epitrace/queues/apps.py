from django.apps import AppConfig


class QueuesConfig(AppConfig):
    name = "epitrace.queues"
    label = "queues"
    verbose_name = "Work queues"
