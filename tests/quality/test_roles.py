from django.contrib.auth.models import Group

from slawatch.people.models import Role


def test_migration_creates_the_four_role_groups_with_their_permissions(db):
    perms = {g.name: {f"{p.content_type.app_label}.{p.codename}" for p in g.permissions.all()}
             for g in Group.objects.prefetch_related("permissions__content_type")}
    assert set(perms) >= {"rep", "manager", "marketing", "revops"}
    assert "quality.add_leadfeedback" in perms["rep"]
    assert "quality.resolve_qualitydispute" not in perms["rep"]
    assert "quality.add_qualitydispute" in perms["marketing"]
    assert "quality.resolve_qualitydispute" not in perms["marketing"]
    assert "leads.change_lead" not in perms["marketing"]
    assert "quality.resolve_qualitydispute" in perms["manager"]
    assert "leads.change_slapolicy" not in perms["manager"]
    assert {"leads.change_slapolicy", "people.add_calendar", "people.change_team",
            "people.add_person", "quality.resolve_qualitydispute"} <= perms["revops"]


def test_linking_a_person_to_a_user_grants_the_role_group_and_admin_access(org):
    assert list(org.rep_user.groups.values_list("name", flat=True)) == ["rep"]
    org.rep_user.refresh_from_db()
    assert org.rep_user.is_staff
    assert org.rep_user.has_perm("quality.add_leadfeedback")
    assert not org.rep_user.has_perm("quality.resolve_qualitydispute")


def test_a_role_change_moves_the_user_to_the_new_group(org, django_user_model):
    org.rep.role = Role.MANAGER
    org.rep.save()
    user = django_user_model.objects.get(pk=org.rep_user.pk)
    assert list(user.groups.values_list("name", flat=True)) == ["manager"]
    assert user.has_perm("quality.resolve_qualitydispute")


def test_a_director_works_with_the_manager_group(org, django_user_model):
    user = django_user_model.objects.create_user("dan", password="x")
    org.director.user = user
    org.director.save()
    assert list(user.groups.values_list("name", flat=True)) == ["manager"]
