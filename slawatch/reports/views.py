"""The reports dashboard in the admin (/admin/reports/): the same selectors as the API,
a table, an inline SVG chart, range and grouping filters, and a CSV link."""

from datetime import time
from urllib.parse import urlencode

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
                   "met_conversion", "missed_conversion", "delivery_rate"}


def dashboard(request):
    family = FAMILIES.get(request.GET.get("family") or "sla")
    context = {**admin.site.each_context(request), "title": "Reports", "families": FAMILIES.values(),
               "group_bys": selectors.GROUP_BYS,
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
                   csv_url=f"{api}?{urlencode({**filters, 'format': 'csv'})}")
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
    window = params.parse_window(request.GET, scope=scope)
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
    labels = [row["label"] + (f" {row['currency']} {row['sourced_by']}" if "currency" in row else "")
              for row in rows]
    series = {name.replace("_", " "): [_number(row.get(name)) for row in rows]
              for name in family.chart}
    title = family.title if len(series) == 1 else f"{family.title}: {' vs '.join(series)}"
    return mark_safe(charts.grouped_bars(title, labels, series, percent=percent))


def _number(value):
    return None if value is None else float(value)
