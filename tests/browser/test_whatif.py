"""The what-if page in a real chromium: a manager proposes a 15-minute first touch for hot
leads instead of 30, replays the last week, and reads compliance and pager load for their
team, actual against proposed; then tries a draft lead definition on top.

The history, relative to now (the live server runs on the real clock), on 24x7 policies
that warn the rep at 50 % and page the manager at 100 %: three hot leads handed to Rita
(East) two days ago, touched after 10, 20 and 40 minutes, and one to Wendy (West), touched
after 20. Worked out by hand:

- actual (hot 30 min): 10 and 20 are met, 40 breached; Rita is warned at 15 minutes for
  the 20 and the 40, Maya paged at 30 for the 40: 3 escalations (Rita 2, Maya 1);
- proposed (hot 15 min): only 10 is met; Rita is warned at 7.5 minutes for all three,
  Maya paged at 15 for the 20 and the 40: 5 escalations (Rita 3, Maya 2);
- with the draft "partner leads are warm" (warm: 60 minutes), the 40-minute lead from a
  partner is warm and met; Rita is warned at 30 for it: 4 escalations (Rita 3, Maya 1).

West's lead is not Maya's team: it never shows.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from slawatch.definitions.services import definition_create
from slawatch.leads.services import apply_events
from tests.factories import PolicyFactory, event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def history(org):
    PolicyFactory(heat="hot", first_touch_minutes=30)
    PolicyFactory(heat="warm", first_touch_minutes=60)
    base = (timezone.now() - timedelta(days=2)).replace(second=0, microsecond=0)
    leads = [("L-1", "rep-7", 0, 10, "web"), ("L-2", "rep-7", 60, 20, "web"),
             ("L-3", "rep-7", 120, 40, "partner"), ("L-9", "rep-9", 180, 20, "web")]
    events = []
    for external_id, owner, start, touched_after, source in leads:
        handed = base + timedelta(minutes=start)
        touched = (handed + timedelta(minutes=touched_after)).isoformat()
        events += [event(f"a-{external_id}", "lead.assigned", handed.isoformat(),
                         external_id=external_id, owner=owner, heat="hot", source=source),
                   event(f"t-{external_id}", "lead.touched", touched, external_id=external_id,
                         touch={"kind": "call", "at": touched, "by": owner})]
    apply_events(events)
    return definition_create(notify=False, name="Partner leads are warm", default_heat="hot",
                             crm_heat="ignore", rules=[{"heat": "warm", "when": [
                                 {"field": "source", "op": "eq", "value": "partner"}]}])


def _table(page, selector):
    return [row.inner_text().split("\t") for row in page.query_selector_all(f"{selector} tbody tr")]


def _pager(page):
    # recipient -> (actual escalations, actual per week, proposed escalations, per week)
    return {cells[0]: cells[1:] for cells in _table(page, "#whatif-pager")}


def test_a_manager_replays_a_stricter_hot_sla_and_a_draft_definition(org, history, log_in,
                                                                     screenshot, live_server):
    page = log_in("manager")  # lands on the SLA board; the admin index lists the page
    page.goto(f"{live_server.url}/admin/?models")
    page.click("#content-main a:text-is('What-if replay')")
    assert page.input_value("input[name=hot-first_touch_minutes]") == "30"  # the current one
    today = timezone.localdate()
    page.fill("input[name=start]", (today - timedelta(days=6)).isoformat())
    page.fill("input[name=end]", (today + timedelta(days=1)).isoformat())  # 7 days: 1 week
    page.select_option("select[name=group_by]", "team")
    page.check("input[name=hot-propose]")
    page.fill("input[name=hot-first_touch_minutes]", "15")
    screenshot("whatif-1-proposal")
    with page.expect_navigation():
        page.click("#whatif-run")

    # group | actual: handoffs met breached compliance escalations | proposed: the same
    rows = _table(page, "#whatif-table")
    assert rows == [["East", "3", "2", "1", "66.7%", "3", "3", "1", "2", "33.3%", "5"],
                    ["Total", "3", "2", "1", "66.7%", "3", "3", "1", "2", "33.3%", "5"]]
    assert "Pager load (1.0 weeks)" in page.inner_text("#content-main")
    assert _pager(page) == {"Rita Rep": ["2", "2.0", "3", "3.0"],
                            "Maya Manager": ["1", "1.0", "2", "2.0"]}
    assert page.query_selector_all(".whatif-charts svg")  # compliance and escalations
    assert page.input_value("input[name=hot-first_touch_minutes]") == "15"  # kept
    screenshot("whatif-2-stricter-hot")

    page.select_option("#whatif-definition", str(history.pk))
    with page.expect_navigation():
        page.click("#whatif-run")
    assert _table(page, "#whatif-table")[0] == ["East", "3", "2", "1", "66.7%", "3",
                                                "3", "2", "1", "66.7%", "4"]
    assert _pager(page) == {"Rita Rep": ["2", "2.0", "3", "3.0"],
                            "Maya Manager": ["1", "1.0", "1", "1.0"]}
    screenshot("whatif-3-with-draft-definition")
