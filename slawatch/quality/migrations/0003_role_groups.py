"""Create the role groups (rep, manager, marketing, revops) with their permissions.

Permissions are normally created after migrate (post_migrate); create them now so
the groups can hold them on a fresh database. roles.sync_groups runs again after
every migrate for models added later.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from slawatch.access.roles import ROLES, sync_groups


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("leads", "0001_initial"),
        ("people", "0001_initial"),
        ("escalation", "0001_initial"),
        ("quality", "0002_feedback_rules_dispute_lifecycle"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
