"""REST resource `definitions/` with its `approve/` and `activate/` actions.

Writes go through services.py. Bad rules are a 400 naming the rule index and the field;
changing a definition that is no longer a draft is a 409; an approval from a login with
no sales- or marketing-side person is a 403. Nothing partial is stored.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from slawatch.api.serializers import django_errors
from slawatch.api.views import Conflict, ViewModelPermissions
from slawatch.definitions import services
from slawatch.definitions.models import DefinitionApproval, LeadDefinition, Status
from slawatch.leads import heat_rules


class ApprovalSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = DefinitionApproval
        fields = ["person", "person_name", "side", "approved_at", "withdrawn_at"]
        read_only_fields = fields


class DefinitionSerializer(serializers.ModelSerializer):
    rules = serializers.JSONField(required=False)
    approvals = ApprovalSerializer(many=True, read_only=True)

    class Meta:
        model = LeadDefinition
        fields = ["id", "name", "default_heat", "crm_heat", "rules", "effective_from",
                  "version", "status", "approvals", "activated_at", "activated_by",
                  "activated_alone", "retired_at", "created_at", "updated_at"]
        read_only_fields = ["version", "status", "approvals", "activated_at", "activated_by",
                            "activated_alone", "retired_at", "created_at", "updated_at"]

    def validate_rules(self, value):
        try:
            return heat_rules.validate_rules(value)
        except heat_rules.RuleError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, attrs):
        if self.instance is not None and self.instance.status != Status.DRAFT and any(
                getattr(self.instance, k) != v for k, v in attrs.items()):
            raise Conflict(str(services.frozen_error(self.instance)))
        return attrs

    def create(self, validated_data):
        return _call(services.definition_create, by=self.context["request"].user,
                     **validated_data)

    def update(self, instance, validated_data):
        return _call(services.definition_update, definition=instance,
                     by=self.context["request"].user, **validated_data)


def _call(service, **kwargs):
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        raise django_errors(exc) from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None
    except services.DefinitionFrozen as exc:
        raise Conflict(str(exc)) from None


class DefinitionViewSet(viewsets.ModelViewSet):
    queryset = LeadDefinition.objects.prefetch_related("approvals__person")
    serializer_class = DefinitionSerializer
    # Reads need view_leaddefinition (the four roles), like the other configuration.
    permission_classes = [permissions.IsAuthenticated, ViewModelPermissions]
    filterset_fields = ["status", "version"]

    def perform_destroy(self, instance):
        if instance.status != Status.DRAFT:
            raise Conflict(f"{instance} is {instance.get_status_display().lower()}: only a "
                           "draft can be deleted; its history stays")
        instance.delete()

    def get_permissions(self):
        if self.action in ("approve", "activate"):
            # Approving is decided by the person's side, activating by superuser status
            # (both in the service), not by model permissions.
            return [permissions.IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(request=None, responses=DefinitionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        definition = _call(services.definition_approve, definition=self.get_object(),
                           user=request.user)
        return Response(self.get_serializer(self._fresh(definition)).data)

    @extend_schema(request=None, responses=DefinitionSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        definition = _call(services.definition_activate, definition=self.get_object(),
                           user=request.user)
        return Response(self.get_serializer(self._fresh(definition)).data)

    def _fresh(self, definition):
        return self.get_queryset().get(pk=definition.pk)
