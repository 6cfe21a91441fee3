from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class AccessConfig(AppConfig):
    name = "slawatch.access"
    verbose_name = "Access control"

    def ready(self):
        from slawatch.access import signals  # imports models: only once the registry is ready

        # After every migrate, so models added by later migrations reach the role groups.
        post_migrate.connect(signals.sync_role_groups, dispatch_uid="slawatch-sync-roles")
        post_save.connect(signals.person_saved, sender="people.Person",
                          dispatch_uid="slawatch-person-role-group")
