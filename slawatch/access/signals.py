"""Keep role groups and people's users in step with the role model."""

from django.apps import apps
from django.contrib.auth.models import Group, Permission

from slawatch.access import roles


def sync_role_groups(sender, app_config=None, using="default", **kwargs):
    # post_migrate fires once per app with models, in INSTALLED_APPS order; the last
    # one's call sees every permission, whichever apps are installed.
    if app_config is not None and app_config is not _last_app_with_models():
        return
    roles.sync_groups(Group, Permission)


def _last_app_with_models():
    return [config for config in apps.get_app_configs() if config.models_module][-1]


def person_saved(sender, instance, **kwargs):
    """A person linked to a user gets the group of their role (and admin access).

    Other groups the user holds are left alone, except the role groups, which follow
    Person.role so a promotion from rep to manager takes effect at once.
    """
    user = instance.user
    if user is None:
        return
    wanted = roles.GROUP_FOR_PERSON_ROLE.get(instance.role)
    current = set(user.groups.filter(name__in=roles.ROLES).values_list("name", flat=True))
    if current == ({wanted} if wanted else set()):
        return
    user.groups.remove(*Group.objects.filter(name__in=current - {wanted}))
    if wanted:
        user.groups.add(Group.objects.get_or_create(name=wanted)[0])
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
