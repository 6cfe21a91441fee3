"""The reports dashboard in the admin (/admin/reports/): the same selectors as the API,
a table, an inline SVG chart, range and grouping filters, and a CSV link."""

from dataclasses import replace
from datetime import time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from slawatch.access import scoping
from slawatch.reports import charts, params, selectors
from slawatch.reports.families import FAMILIES

PERCENT_COLUMNS = {"compliance", "touched_rate", "never_touched_rate", "dropped_rate",
                   "feedback_rate", "acceptance_rate", "dispute_rate", "conversion",
                   "met_conversion", "missed_conversion", "delivery_rate", "closing_ratio",
                   "lead_to_opportunity", "visit_to_lead", "roi"}
GROUP_LABELS = {"rep": "Rep", "team": "Team", "heat": "Heat", "source": "Source",
                "campaign": "Campaign", "week": "Week", "day": "Day", "month": "Month",
                "company": "Company"}


def dashboard(request):
    family = FAMILIES.get(request.GET.get("family") or "sla")
    context = {**admin.site.each_context(request), "title": "Reports", "families": FAMILIES.values(),
               "group_options": [(g, GROUP_LABELS.get(g, g)) for g in getattr(
                   FAMILIES.get(request.GET.get("family") or "sla"), "group_bys", ())],
               "query": {k: request.GET.get(k, "") for k in ("start", "end", "quarter")}}
    if family is None:
        return _error(request, context, f"family must be one of {', '.join(FAMILIES)}")
    context["family"] = family
    try:
        rows, filters = _compute(request, family)
    except params.BadParameter as exc:
        return _error(request, context, str(exc))
    api = reverse(f"report-{family.name}")
    keep = urlencode({k: v for k, v in filters.items() if k != "quarter"})  # across tabs
    context.update(filters=filters, keep=keep, columns=family.columns,
                   rows=_cells(rows, family), chart=_chart(family, rows),
                   csv_url=f"{api}?{urlencode({**filters, 'format': 'csv'})}",
                   presets=_presets(family, filters), dates=_dates(filters))
    if family.name == "marketing":
        context["trends"] = trends(filters, scoping.handoff_scope(request.user))
    return TemplateResponse(request, "reports/dashboard.html", context)


def _error(request, context, message):
    context["error"] = message
    return TemplateResponse(request, "reports/dashboard.html", context, status=400)


def _compute(request, family):
    scope = scoping.handoff_scope(request.user)
    if family.name == "commitments":
        year, quarter = params.parse_quarter(request.GET)
        rows = family.selector(year=year, quarter=quarter, scope=scope,
                               commitments_scope=scoping.commitment_scope(request.user))
        return rows, {"quarter": f"{year}-Q{quarter}"}
    window = params.parse_window(request.GET, scope=scope, group_bys=family.group_bys)
    filters = {"group_by": window.group_by, "start": _instant(window.start),
               "end": _instant(window.end)}
    return family.selector(window), filters


def _instant(value):
    """Short but exact: a date at local midnight, else the datetime to the second."""
    local = timezone.localtime(value)
    if local.time() == time.min:
        return local.date().isoformat()
    return local.isoformat(timespec="seconds")


def _cells(rows, family):
    return [[_format(c.name, row.get(c.name)) for c in family.columns] for row in rows]


def _format(name, value):
    if value is None:
        return "-"
    if name in PERCENT_COLUMNS:
        return f"{value * 100:.1f}%"
    return value


def _chart(family, rows):
    percent = all(name in PERCENT_COLUMNS for name in family.chart)
    labels = [row["label"] + (f" {row['currency']} {row['sourced_by']}" if "sourced_by" in row else "")
              for row in rows]
    headings = {c.name: c.heading for c in family.columns}
    series = {headings[name]: [_number(row.get(name)) for row in rows] for name in family.chart}
    title = family.title if len(series) == 1 else f"{family.title}: {' vs '.join(series)}"
    return mark_safe(charts.grouped_bars(title, labels, series, percent=percent))


def _number(value):
    return None if value is None else float(value)


def _dates(filters):
    """The range as dates for the date pickers (the end stays exclusive)."""
    return {k: filters[k][:10] for k in ("start", "end") if k in filters}


def presets(today=None):
    """(label, start, end) date ranges a reader asks for most, end exclusive."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    quarter = month.replace(month=3 * ((today.month - 1) // 3) + 1)
    last_quarter = quarter.replace(year=quarter.year - (quarter.month == 1),
                                   month=(quarter.month - 4) % 12 + 1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    return [("This month", month, next_month), ("Last quarter", last_quarter, quarter),
            ("Year to date", today.replace(month=1, day=1), today + timedelta(days=1))]


def _presets(family, filters):
    if not family.group_bys:
        return []
    group = filters.get("group_by", "")
    return [(label, "?" + urlencode({"family": family.name, "group_by": group,
                                     "start": start.isoformat(), "end": end.isoformat()}))
            for label, start, end in presets()]


def trends(filters, scope):
    """Marketing's monthly trends and the two comparisons it asks for, as charts."""
    window = params.parse_window({**filters, "group_by": "month"}, scope=scope,
                                 group_bys=selectors.MARKETING_GROUP_BYS)
    by_month = selectors.marketing_report(window)
    by_source = selectors.marketing_report(replace(window, group_by="source"))
    by_campaign = selectors.marketing_report(replace(window, group_by="campaign"))
    currency = settings.SLAWATCH_REPORTING_CURRENCY

    def chart(title, rows, column, percent=False):
        labels = [row["label"] for row in rows]
        values = {title: [_number(row.get(column)) for row in rows]}
        return mark_safe(charts.grouped_bars(title, labels, values, percent=percent))

    return [chart(f"Spend by month ({currency})", by_month, "spend"),
            chart("Leads by month", by_month, "leads"),
            chart(f"Won revenue by month ({currency})", by_month, "won_revenue"),
            chart(f"Cost per lead by source ({currency})", by_source, "cost_per_lead"),
            chart("ROI by campaign", by_campaign, "roi", percent=True)]
