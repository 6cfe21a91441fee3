from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "slawatch.people"
    verbose_name = "People and calendars"
