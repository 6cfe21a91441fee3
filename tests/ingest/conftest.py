import pytest

HS_SECRET = "test-client-secret"
EVENTS_SECRET = "generic-events-secret"
SF_TOKEN = "sf-outbound-token"
PD_USER, PD_PASSWORD = "pipedrive", "pd-password"


@pytest.fixture(autouse=True)
def ingest_settings(settings):
    settings.HUBSPOT_CLIENT_SECRET = HS_SECRET
    settings.HUBSPOT_ACCESS_TOKEN = None  # tests that read the API point it at a fake
    settings.HUBSPOT_HEAT_PROPERTY = "lead_heat"
    settings.SLAWATCH_EVENTS_SECRET = EVENTS_SECRET
    settings.SALESFORCE_OUTBOUND_TOKEN = SF_TOKEN
    settings.SALESFORCE_ORGANIZATION_ID = None
    settings.SALESFORCE_INSTANCE_URL = None
    settings.SALESFORCE_ACCESS_TOKEN = None
    settings.PIPEDRIVE_WEBHOOK_USER, settings.PIPEDRIVE_WEBHOOK_PASSWORD = PD_USER, PD_PASSWORD
    settings.SLAWATCH_PUBLIC_URL = None
    return settings


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (the processing enqueue) as a real commit would."""
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)
    return run
