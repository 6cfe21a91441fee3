"""Admin smoke test: every registered model's pages render for a superuser, with rows present."""

import pytest
import time_machine
from django.contrib import admin
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from slawatch.escalation.models import Escalation
from slawatch.leads.models import Handoff
from slawatch.leads.services import apply_events
from tests.factories import CalendarFactory, PolicyFactory, event


@pytest.fixture
def rows(cast):
    """A calendar, policies, and a few leads with handoffs, touches, an opportunity and an
    escalation, so changelists render real rows (list columns, filters, inlines)."""
    calendar = CalendarFactory(name="New York office", country="US", holidays=["2026-12-24"])
    PolicyFactory(heat="hot", first_touch_minutes=15, calendar=calendar)
    PolicyFactory(heat="warm", first_touch_minutes=60, team=cast.team)
    with time_machine.travel("2026-11-23 16:00:00Z", tick=False):
        apply_events([
            event("1", "lead.created", "2026-11-23T14:00:00Z", owner="rep-7", heat="hot",
                  name="Ana Ruiz", email="ana@example.com", source="demo_request"),
            event("2", "lead.touched", "2026-11-23T14:05:00Z", touch={"kind": "call",
                                                                      "by": "rep-7"}),
            event("3", "lead.assigned", "2026-11-23T14:00:00Z", external_id="L-2",
                  owner="rep-8", heat="warm"),
            event("4", "lead.assigned", "2026-11-23T14:00:00Z", external_id="L-3",
                  owner="unknown-owner"),
            event("5", "lead.converted", "2026-11-23T15:00:00Z",
                  opportunity={"external_id": "OPP-1", "amount": 5000, "currency": "EUR"}),
        ])
    handoff = Handoff.objects.get(lead__external_id="L-2")
    Escalation.objects.create(handoff=handoff, milestone=handoff.milestones.first(), step=0,
                              recipient=f"person:{cast.manager.pk}", channel="slack")


def registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def admin_url(model, page, *args):
    """The admin URL of a page, or None for a page the ModelAdmin does not route (dashboards)."""
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)
    except NoReverseMatch:
        return None


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client


def test_core_models_are_registered():
    labels = {model._meta.label for model, _ in registered()}
    assert {"people.Team", "people.Person", "people.Calendar", "leads.SlaPolicy", "leads.Lead",
            "leads.Handoff", "leads.Touch", "escalation.Escalation"} <= labels


def test_every_changelist_add_and_change_page_renders(superuser_client, superuser, rows):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    failures, checked = [], 0
    for model, model_admin in registered():
        pages = [admin_url(model, "changelist") or f"/admin/no-changelist/{model._meta.label}/"]
        if model_admin.has_add_permission(request):
            pages.append(admin_url(model, "add"))
        first = model_admin.get_queryset(request).first()
        if first is not None:
            pages.append(admin_url(model, "change", first.pk))
        for url in filter(None, pages):
            checked += 1
            response = superuser_client.get(url)
            if response.status_code != 200:
                failures.append((url, response.status_code))
    assert failures == []
    assert checked > 20  # every registered model took part


def test_changelist_search_and_filters_render(superuser_client, rows):
    for model, query in [("leads.Lead", {"q": "ana", "owner_mapping": "unmapped"}),
                         ("leads.Handoff", {"status__exact": "met"}),
                         ("people.Person", {"q": "Rita"})]:
        app_label, name = model.split(".")
        response = superuser_client.get(reverse(f"admin:{app_label}_{name.lower()}_changelist"),
                                        query)
        assert response.status_code == 200, (model, query)

