"""The operator docs stay complete as settings are added."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setting_names():
    source = (ROOT / "config" / "settings.py").read_text()
    return set(re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', source))


def test_every_environment_variable_is_documented_with_a_default_and_meaning():
    doc = (ROOT / "docs" / "CONFIGURATION.md").read_text()
    rows = {name for line in doc.splitlines() if line.startswith("| `")
            for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1])
            if len([cell for cell in line.split("|") if cell.strip()]) == 3}
    assert setting_names() - rows == set()


def test_contract_variables_are_documented():
    contract = ["SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL",
                "SLAWATCH_EVENTS_SECRET", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_ACCESS_TOKEN",
                "HUBSPOT_API_BASE", "HUBSPOT_HEAT_PROPERTY", "SALESFORCE_INSTANCE_URL",
                "SALESFORCE_ACCESS_TOKEN", "PIPEDRIVE_WEBHOOK_USER", "PIPEDRIVE_WEBHOOK_PASSWORD",
                "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_BASE", "DEFAULT_FROM_EMAIL",
                "SLAWATCH_PUBLIC_URL", "SLAWATCH_MAX_BODY_BYTES", "SALESFORCE_ORGANIZATION_ID",
                "EMAIL_BACKEND", "SECURE_SSL_REDIRECT"]
    doc = (ROOT / "docs" / "CONFIGURATION.md").read_text()
    assert [name for name in contract if f"| `{name}`" not in doc] == []


def test_readme_keeps_the_two_commands_first_and_links_the_operator_docs():
    readme = (ROOT / "README.md").read_text()
    assert readme.splitlines()[3:5] == [
        "make run    # fresh machine → running system on the embedded default (SQLite, no servers)",
        "make test   # fresh machine → the whole suite on SQLite and PostgreSQL, with a real Redis",
    ]
    for target in ("docs/OPERATIONS.md", "docs/CONFIGURATION.md"):
        assert f"]({target})" in readme and (ROOT / target).exists()
    assert "Beat stays single" in readme


def test_operations_doc_links_resolve():
    doc = (ROOT / "docs" / "OPERATIONS.md").read_text()
    links = re.findall(r"\]\(([^)#:]+)\)", doc)
    assert links
    missing = [link for link in links if not (ROOT / "docs" / link).resolve().exists()]
    assert missing == []
