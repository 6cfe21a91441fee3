"""`POST /api/v1/what-if/`: a past range replayed under a proposal, as JSON or CSV
(`?format=csv`). Scoped like the reports: a manager replays their teams' handoffs."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from slawatch.access import scoping
from slawatch.definitions.models import LeadDefinition
from slawatch.api.throttles import AnonThrottle, UserThrottle, WhatIfThrottle
from slawatch.reports.api import CSVRenderer
from slawatch.whatif.selectors import FIGURES, TooBig, what_if_within_limits
from slawatch.whatif.serializers import WhatIfSerializer

CSV_COLUMNS = ["key", "label"] + [f"{side}_{name}" for side in ("actual", "proposed")
                                  for name in FIGURES]


def flat_rows(data) -> list[dict]:
    """Rows and then the totals (key "total") as flat dicts: actual_met, proposed_met, …"""
    rows = data.get("rows", []) + [{"key": "total", "label": "Total", **data["totals"]}]
    return [{"key": row["key"], "label": row["label"],
             **{f"{side}_{name}": row[side][name] for side in ("actual", "proposed")
                for name in FIGURES}} for row in rows]


class WhatIfCSVRenderer(CSVRenderer):
    def columns(self, renderer_context) -> list[str]:
        return CSV_COLUMNS

    def rows(self, data) -> list[dict]:
        return flat_rows(data)


_figures = inline_serializer("WhatIfFigures", {
    "handoffs": serializers.IntegerField(),
    "met": serializers.IntegerField(),
    "breached": serializers.IntegerField(),
    "compliance": serializers.FloatField(allow_null=True, help_text="met / (met + breached)"),
    "escalations": serializers.IntegerField(help_text="ladder steps that fire"),
})
_sides = {"actual": _figures, "proposed": _figures}
_pager_side = inline_serializer("WhatIfPagerFigures", {
    "escalations": serializers.IntegerField(), "per_week": serializers.FloatField()})
RESULT = inline_serializer("WhatIfResult", {
    "rows": serializers.ListField(child=inline_serializer("WhatIfRow", {
        "key": serializers.CharField(), "label": serializers.CharField(), **_sides})),
    "totals": inline_serializer("WhatIfTotals", _sides),
    "pager_load": serializers.ListField(child=inline_serializer("WhatIfPagerLoad", {
        "recipient": serializers.CharField(help_text="person:<id>, team:<id> (its channel) "
                                                     "or nobody:<role>"),
        "label": serializers.CharField(),
        "actual": _pager_side, "proposed": _pager_side})),
    "weeks": serializers.FloatField(help_text="length of the range in weeks"),
})


class WhatIfView(APIView):
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, WhatIfCSVRenderer]
    throttle_classes = [AnonThrottle, UserThrottle, WhatIfThrottle]

    @extend_schema(
        summary="Replay a past range under proposed SLA policies",
        description="Recomputes milestones, breaches and ladder steps of the handoffs with "
                    "handed_off_at in [start, end) from their recorded events and touches, "
                    "under the proposed policies. Stores nothing. See docs/WHATIF.md.",
        request=WhatIfSerializer,
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"],
                                     description="csv: rows and a total row as text/csv")],
        responses={(200, "application/json"): RESULT, (200, "text/csv"): OpenApiTypes.STR},
        tags=["reports"])
    def post(self, request):
        serializer = WhatIfSerializer(data=request.data)
        if not request.user.has_perm("definitions.view_leaddefinition"):
            # as in definitions/: a definition the caller may not read does not exist
            serializer.fields["definition"].queryset = LeadDefinition.objects.none()
        serializer.is_valid(raise_exception=True)
        question = serializer.question(scope=scoping.handoff_scope(request.user))
        try:
            response = Response(what_if_within_limits(question))
        except TooBig as exc:
            raise ValidationError({"end": [str(exc)]}) from None
        if request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = (
                f'attachment; filename="slawatch-what-if-by-{question.group_by}-'
                f'{question.start:%Y%m%d}-{question.end:%Y%m%d}.csv"')
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON whatever format was asked for: a CSV of an error helps no one.
        if response.status_code >= 400:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)
