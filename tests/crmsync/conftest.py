import pytest

from slawatch.leads.models import Handoff
from slawatch.leads.services import apply_events
from slawatch.people.models import CrmIdentity
from tests.crmsync.fakes import FakeHubSpotWrites, FakePipedriveWrites, FakeSalesforceWrites
from tests.factories import event
from tests.quality import world


@pytest.fixture
def org(cast, django_user_model):
    org = world.make_org(cast, django_user_model)
    for person, ids in ((org.rep, {"salesforce": "005REP7", "pipedrive": "7001"}),
                        (org.rep2, {"salesforce": "005REP8", "pipedrive": "7002"})):
        for crm, owner_id in ids.items():
            CrmIdentity.objects.create(person=person, crm=crm, owner_id=owner_id)
    world.policy()
    return org


@pytest.fixture
def writeback(settings):
    settings.SLAWATCH_CRM_WRITEBACK = True
    settings.SLAWATCH_DELIVERY_BACKOFF_SECONDS = 1.0
    return settings


@pytest.fixture
def hubspot(writeback):
    with FakeHubSpotWrites() as fake:
        writeback.HUBSPOT_ACCESS_TOKEN, writeback.HUBSPOT_API_BASE = "hs-token", fake.url
        yield fake


@pytest.fixture
def salesforce(writeback):
    with FakeSalesforceWrites() as fake:
        writeback.SALESFORCE_INSTANCE_URL, writeback.SALESFORCE_ACCESS_TOKEN = fake.url, "sf-token"
        writeback.SALESFORCE_REFRESH_TOKEN = None
        yield fake


@pytest.fixture
def pipedrive(writeback):
    with FakePipedriveWrites() as fake:
        writeback.PIPEDRIVE_API_TOKEN, writeback.PIPEDRIVE_API_BASE = "pd-api-token", fake.url
        yield fake


def assign(crm, external_id, owner, at="2026-11-23T09:00:00Z"):
    """A hot lead of `crm` handed to the person with that owner id; returns its handoff."""

    apply_events([event(f"assign-{crm}-{external_id}-{owner}-{at}", "lead.assigned", at,
                        crm=crm, external_id=external_id, owner=owner, heat="hot")])
    return Handoff.objects.get(lead__crm=crm, lead__external_id=external_id,
                               closed_at__isnull=True)
