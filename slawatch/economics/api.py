"""`spend/`, `visits/` and `rates/` with CSV import: the inputs of the marketing economics.

Reading needs the model's view permission (spend is not for every signed-in user);
writing its add/change/delete permission. Imports go through services.py.
"""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response

from slawatch.economics import money, services
from slawatch.economics.models import Rate, Spend, Visits

TRUE, FALSE = {"1", "true", "yes"}, {"", "0", "false", "no"}


class ViewAndModelPermissions(permissions.DjangoModelPermissions):
    perms_map = {**permissions.DjangoModelPermissions.perms_map,
                 "GET": ["%(app_label)s.view_%(model_name)s"],
                 "HEAD": ["%(app_label)s.view_%(model_name)s"]}


class ImportPermissions(permissions.DjangoModelPermissions):
    """An import creates and replaces rows: both permissions."""

    perms_map = {**permissions.DjangoModelPermissions.perms_map,
                 "POST": ["%(app_label)s.add_%(model_name)s",
                          "%(app_label)s.change_%(model_name)s"]}


class CSVParser(BaseParser):
    """A text/csv body, handed on as bytes (the sheet reader decodes it, BOM and all)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = services.max_import_bytes()
        if stream is None:
            return b""
        data = stream.read() if limit is None else stream.read(limit + 1)
        services.check_import_size(len(data))  # a body sent without a Content-Length
        return data


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-11"})
class MonthField(serializers.Field):
    default_error_messages = {"invalid": "{message}"}

    def to_representation(self, value):
        return money.month_text(value)

    def to_internal_value(self, data):
        try:
            return money.parse_month(data)
        except ValueError as exc:
            self.fail("invalid", message=str(exc))


def _currency(value):
    code = (value or "").strip().upper()
    if not money.is_currency(code):
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code (e.g. USD, EUR)")
    return code


class SpendSerializer(serializers.ModelSerializer):
    month = MonthField(help_text="YYYY-MM")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0,
                                      help_text="decimal string, e.g. \"1250.00\"")
    currency = serializers.CharField(help_text="ISO 4217 code, e.g. USD")

    class Meta:
        model = Spend
        fields = ["id", "month", "source", "campaign", "category", "amount", "currency",
                  "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate_currency(self, value):
        return _currency(value)


class VisitsSerializer(serializers.ModelSerializer):
    month = MonthField(help_text="YYYY-MM")

    class Meta:
        model = Visits
        fields = ["id", "month", "source", "visits", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class RateSerializer(serializers.ModelSerializer):
    month = MonthField(help_text="YYYY-MM")
    rate = serializers.DecimalField(max_digits=18, decimal_places=8,
                                    help_text="units of the reporting currency per unit of "
                                              "`currency`, greater than 0")
    currency = serializers.CharField(help_text="ISO 4217 code, e.g. EUR")

    class Meta:
        model = Rate
        fields = ["id", "month", "currency", "rate"]

    def validate_currency(self, value):
        code = _currency(value)
        if code == settings.SLAWATCH_REPORTING_CURRENCY:
            raise ValidationError(f"{code} is the reporting currency: it needs no rate")
        return code

    def validate_rate(self, value):
        if value <= 0:
            raise ValidationError("rate must be greater than 0")
        return value


IMPORT_RESULT = inline_serializer("ImportResult", {
    "dry_run": serializers.BooleanField(),
    "rows": serializers.IntegerField(help_text="data rows in the file"),
    "created": serializers.IntegerField(help_text="rows that are new"),
    "replaced": serializers.IntegerField(help_text="rows that replace a stored figure"),
    "replacements": serializers.ListField(child=serializers.DictField(),
                                          help_text="row number, what, and the figure replaced"),
    "message": serializers.CharField(),
})
IMPORT_ERROR = inline_serializer("ImportError", {
    "error": serializers.CharField(),
    "errors": serializers.ListField(child=serializers.CharField(),
                                    help_text="'row N: reason' for every bad row"),
})


class ImportMixin:
    """`POST <resource>/import/`: a CSV as the text/csv body or a multipart `file`."""

    importer = None  # a service: (data=..., dry_run=...) -> ImportResult

    def import_csv(self, request):
        dry_run = _flag(request.query_params.get("dry_run", ""))
        try:
            result = type(self).importer(data=self._body(request), dry_run=dry_run)
        except services.ImportTooLarge as exc:
            return Response({"error": exc.errors[0], "errors": exc.errors},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        except services.SheetError as exc:
            return Response({"error": f"nothing was stored: {len(exc.errors)} problem"
                                      f"{'s' * (len(exc.errors) != 1)} in the file",
                             "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_dict())

    @staticmethod
    def _body(request) -> bytes:
        """The CSV's bytes; over the import limit is refused before the body is read."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        services.check_import_size(length)
        data = request.data
        if not isinstance(data, bytes) and request.content_type.startswith("text/csv"):
            return b""  # DRF parses no empty body: the sheet reader says it is empty
        if isinstance(data, bytes):
            return data
        upload = data.get("file")
        if upload is None:
            raise ParseError({"error": "send the CSV as a text/csv body or as a multipart "
                                       "field named 'file'"})
        return services.read_upload(upload)


def _flag(text):
    lowered = text.strip().lower()
    if lowered not in TRUE | FALSE:
        raise ParseError({"error": f"dry_run must be 1 or 0, not {text!r}"})
    return lowered in TRUE


def _import_action(resource, columns):
    description = (f"Import {resource} from CSV with the columns {columns}. Every row is "
                   "checked first: any bad row makes the whole import a 400 that lists row "
                   "numbers (data rows from 1) and reasons, and nothing is stored. A row for a "
                   "key already stored replaces that figure; the answer says which. "
                   "`?dry_run=1` checks and reports without storing.")
    return extend_schema(
        request={"text/csv": OpenApiTypes.STR, "multipart/form-data": inline_serializer(
            f"{resource.capitalize()}Upload", {"file": serializers.FileField()})},
        parameters=[OpenApiParameter("dry_run", str, enum=["0", "1"],
                                     description="1: validate and report, store nothing")],
        responses={200: IMPORT_RESULT, 400: IMPORT_ERROR}, description=description)


IMPORT = {"parser_classes": [CSVParser, MultiPartParser],
          "permission_classes": [permissions.IsAuthenticated, ImportPermissions]}


class SpendViewSet(ImportMixin, viewsets.ModelViewSet):
    queryset = Spend.objects.all()
    serializer_class = SpendSerializer
    permission_classes = [permissions.IsAuthenticated, ViewAndModelPermissions]
    filterset_fields = ["source", "campaign", "category", "currency"]
    importer = staticmethod(services.spend_import)

    @_import_action("spend", "month, source, campaign (optional), category, amount, currency")
    @action(detail=False, methods=["post"], url_path="import", **IMPORT)
    def import_csv(self, request):
        return super().import_csv(request)


class VisitsViewSet(ImportMixin, viewsets.ModelViewSet):
    queryset = Visits.objects.all()
    serializer_class = VisitsSerializer
    permission_classes = [permissions.IsAuthenticated, ViewAndModelPermissions]
    filterset_fields = ["source"]
    importer = staticmethod(services.visits_import)

    @_import_action("visits", "month, source, visits")
    @action(detail=False, methods=["post"], url_path="import", **IMPORT)
    def import_csv(self, request):
        return super().import_csv(request)


class RateViewSet(viewsets.ModelViewSet):
    queryset = Rate.objects.all()
    serializer_class = RateSerializer
    permission_classes = [permissions.IsAuthenticated, ViewAndModelPermissions]
    filterset_fields = ["currency"]
