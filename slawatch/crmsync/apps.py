from django.apps import AppConfig


class CrmSyncConfig(AppConfig):
    name = "slawatch.crmsync"
    verbose_name = "CRM write-back"

    def ready(self):
        from slawatch.crmsync import receivers  # noqa: F401  (connects the signal receivers)
