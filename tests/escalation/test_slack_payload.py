from slawatch.escalation.channels import slack

FACTS = {"escalation_id": 7, "handoff_id": 42, "stage": "breach", "milestone": "first touch",
         "lead_name": "Ana Ruiz", "lead_company": "Example Co", "lead_email": "ana@example.com",
         "lead_url": "https://acme.my.salesforce.com/lightning/r/Lead/00Q1/view",
         "crm": "salesforce", "external_id": "00Q1", "owner_name": "Rita Rep",
         "owner_slack_id": "UREP1", "heat": "hot", "source": "demo_request",
         "waiting_minutes": 125, "sla_minutes": 60, "due_at": "2026-11-23T10:00:00+00:00",
         "acknowledged": False, "admin_url": "https://slawatch.example.com/admin/x/"}


def test_payload_has_fallback_text_facts_and_buttons():
    body = slack.payload(FACTS)
    assert body["text"] == ("Lead SLA breached: Ana Ruiz (hot) owned by Rita Rep, waiting "
                            "2h 05m for first touch (SLA 1h 00m)")
    fields = [f["text"] for f in body["blocks"][1]["fields"]]
    assert fields[0] == "*Lead:*\n<https://acme.my.salesforce.com/lightning/r/Lead/00Q1/view|Ana Ruiz> · Example Co"
    assert fields[1] == "*Owner:*\n<@UREP1>"
    buttons = body["blocks"][2]["elements"]
    assert [(b["action_id"], b["text"]["text"]) for b in buttons[:3]] == [
        ("slawatch_ack", "Acknowledge"), ("slawatch_snooze", "Snooze 30 min"),
        ("slawatch_reassign", "Reassign")]
    assert {b["value"] for b in buttons} == {"handoff:42"}
    assert buttons[3]["url"] == FACTS["lead_url"]


def test_warning_and_unknown_links_render_without_link_buttons():
    body = slack.payload({**FACTS, "stage": "warning", "lead_url": None, "admin_url": None,
                          "owner_slack_id": ""})
    assert body["blocks"][0]["text"]["text"] == ":hourglass: Lead SLA at risk"
    assert len(body["blocks"][2]["elements"]) == 3
    assert body["blocks"][1]["fields"][1]["text"] == "*Owner:*\nRita Rep"


def test_user_text_is_escaped_and_block_kit_limits_hold():
    body = slack.payload({**FACTS, "lead_name": "<!channel> & " + "x" * 5000,
                          "lead_url": None})
    lead_field = body["blocks"][1]["fields"][0]["text"]
    assert lead_field.startswith("*Lead:*\n&lt;!channel&gt; &amp; ")
    assert all(len(f["text"]) <= 2000 for f in body["blocks"][1]["fields"])
    assert len(body["blocks"][0]["text"]["text"]) <= 150
    assert len(body["text"]) <= 3000


def test_digest_stays_under_fifty_blocks():
    items = [FACTS] * 60
    body = slack.digest_payload({"title": "SLA digest: 75 escalations", "count": 75,
                                 "items": items, "more": 15})
    assert body["text"] == "SLA digest: 75 escalations"
    assert len(body["blocks"]) == 50


def test_after_snooze_the_buttons_stay_and_the_outcome_is_appended():
    blocks = slack.payload(FACTS)["blocks"]
    updated = slack.after_action(blocks, "slawatch_snooze", "Snoozed 30 min by <@U1>")
    assert updated[:-1] == blocks
    assert updated[-1] == {"type": "context", "elements": [
        {"type": "mrkdwn", "text": "Snoozed 30 min by <@U1>"}]}
    acked = slack.after_action(blocks, "slawatch_ack", "Acknowledged by <@U1>")
    assert [b["type"] for b in acked] == ["header", "section", "context"]
