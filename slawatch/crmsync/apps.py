from django.apps import AppConfig


class CrmSyncConfig(AppConfig):
    name = "slawatch.crmsync"
    verbose_name = "CRM write-back"

    def ready(self):
        # Connects the signal receivers; imports models, so only once the registry is ready.
        from slawatch.crmsync import receivers  # noqa: F401
