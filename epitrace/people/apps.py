from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "epitrace.people"
    label = "people"
    verbose_name = "People"
