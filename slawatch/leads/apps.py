from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "slawatch.leads"
    verbose_name = "Leads and SLAs"
