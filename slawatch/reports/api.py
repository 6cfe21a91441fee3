"""`/api/v1/reports/<family>/`: the report families as JSON or CSV (`format=csv`).

Views only parse parameters, pick the user's scope and call the selectors; the
schema of every figure comes from families.py, so the OpenAPI text is the
definition the numbers were computed with.
"""

import csv
import io

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from slawatch.access import scoping
from slawatch.reports import params
from slawatch.reports.families import FAMILIES, FLOAT, INT

FORMATS = ("json", "csv", "api")
ERROR = inline_serializer("ReportError", {"error": serializers.CharField(
    help_text="what is wrong with the parameters")})


class BadReportParameter(APIException):
    status_code = 400
    default_code = "bad_parameter"


class CSVRenderer(BaseRenderer):
    """The rows of a report as CSV, header first, in the family's column order. Other
    CSV answers (what-if) say which columns and rows by overriding the two methods."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def columns(self, renderer_context) -> list[str]:
        return renderer_context["view"].family.column_names

    def rows(self, data) -> list[dict]:
        return data.get("rows", [])

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=self.columns(renderer_context),
                                extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows({k: csv_safe(v) for k, v in row.items()} for row in self.rows(data))
        return out.getvalue().encode(self.charset)


def csv_safe(value):
    """Text from the CRM (a campaign called "=HYPERLINK(…)") must not become a formula
    when the CSV is opened in a spreadsheet (OWASP CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class ReportView(APIView):
    family = None  # set by report_view()
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]

    def get(self, request):
        try:
            rows, name = self.compute(request)
        except params.BadParameter as exc:
            raise BadReportParameter({"error": str(exc)}) from None
        response = Response({"rows": rows})
        if request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = f'attachment; filename="slawatch-{name}.csv"'
        return response

    def compute(self, request):
        window = params.parse_window(request.query_params, scope=scoping.handoff_scope(request.user),
                                     group_bys=self.family.group_bys)
        rows = self.family.selector(window)
        name = (f"{self.family.name}-by-{window.group_by}-"
                f"{window.start:%Y%m%d}-{window.end:%Y%m%d}")
        return rows, name

    def perform_content_negotiation(self, request, force=False):
        fmt = request.query_params.get("format")
        if not force and fmt is not None and fmt not in FORMATS:
            raise BadReportParameter({"error": f"format must be json or csv, not {fmt!r}"})
        return super().perform_content_negotiation(request, force)

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON whatever format was asked for: a CSV of an error helps no one.
        if response.status_code >= 400:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


class CommitmentsView(ReportView):
    def compute(self, request):
        year, quarter = params.parse_quarter(request.query_params)
        rows = self.family.selector(year=year, quarter=quarter,
                                    scope=scoping.handoff_scope(request.user),
                                    commitments_scope=scoping.commitment_scope(request.user))
        return rows, f"commitments-{year}-Q{quarter}"


def _field(column):
    kinds = {INT: serializers.IntegerField, FLOAT: serializers.FloatField}
    return kinds.get(column.kind, serializers.CharField)(help_text=column.definition,
                                                         allow_null=column.nullable)


def _schema(family):
    title = family.name.capitalize()
    row = inline_serializer(f"{title}ReportRow", {c.name: _field(c) for c in family.columns})
    body = inline_serializer(f"{title}Report", {"rows": serializers.ListField(child=row)})
    if family.group_bys:
        parameters = [
            OpenApiParameter("group_by", str, enum=list(family.group_bys),
                             description="the dimension rows are grouped by (default rep)"),
            OpenApiParameter("start", str, description="ISO date or datetime, inclusive; default "
                                                       "30 days before end"),
            OpenApiParameter("end", str, description="ISO date or datetime, exclusive; default now"),
        ]
    else:
        parameters = [OpenApiParameter("quarter", str, description="e.g. 2026-Q4; default the "
                                                                   "current quarter")]
    parameters.append(OpenApiParameter("format", str, enum=["json", "csv"],
                                       description="csv: the same rows as text/csv"))
    return extend_schema(
        summary=family.title, parameters=parameters,
        description=f"{family.summary} Every column is defined in its description here and "
                    "in docs/KPIS.md; percentiles interpolate linearly between closest ranks.",
        responses={(200, "application/json"): body, (200, "text/csv"): OpenApiTypes.STR,
                   400: ERROR}, tags=["reports"])


def report_view(name):
    family = FAMILIES[name]
    base = CommitmentsView if name == "commitments" else ReportView
    view = type(f"{family.name.capitalize()}ReportView", (base,), {"family": family})
    return extend_schema_view(get=_schema(family))(view).as_view()
