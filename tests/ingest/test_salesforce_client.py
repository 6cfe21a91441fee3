"""salesforce_client: the one place a Salesforce client is made from the settings, for
the poller, the owner sync and the write-back alike."""

from slawatch.crmsync.owners import configured_readers
from slawatch.crmsync.writers import SalesforceWriter, writer_for
from slawatch.ingest.pollers import configured_clients
from slawatch.ingest.services import salesforce_client


def _configure(settings, *, instance="https://acme.my.salesforce.com", access=None,
               refresh=None):
    settings.SALESFORCE_INSTANCE_URL = instance
    settings.SALESFORCE_ACCESS_TOKEN, settings.SALESFORCE_REFRESH_TOKEN = access, refresh
    settings.SALESFORCE_CLIENT_ID, settings.SALESFORCE_CLIENT_SECRET = "cid", "secret"
    settings.SALESFORCE_LOGIN_URL = "https://test.salesforce.com/"
    settings.SALESFORCE_API_VERSION = "61.0"
    settings.HUBSPOT_ACCESS_TOKEN = settings.PIPEDRIVE_API_TOKEN = ""


def test_no_client_without_an_instance_url_or_a_token(settings):
    _configure(settings, instance="", access="tok")
    assert salesforce_client() is None
    _configure(settings, access=None, refresh=None)
    assert salesforce_client() is None
    assert writer_for("salesforce") is None
    assert "salesforce" not in configured_readers()
    assert "salesforce" not in configured_clients()


def test_a_refresh_token_alone_is_enough_and_every_user_gets_the_same_settings(settings):
    _configure(settings, refresh="refresh-me")
    client = salesforce_client()
    assert client.base_url == "https://acme.my.salesforce.com"
    assert client.can_refresh()
    assert (client.login_url, client.api_version) == ("https://test.salesforce.com", "61.0")
    assert isinstance(writer_for("salesforce"), SalesforceWriter)
    assert set(configured_readers()) == {"salesforce"}
    assert set(configured_clients()) == {"salesforce"}
    assert salesforce_client() is not client  # a fresh one each time, as before
