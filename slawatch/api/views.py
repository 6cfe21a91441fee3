from django.db.models import Prefetch, ProtectedError
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from slawatch.access import scoping
from slawatch.api import serializers as s
from slawatch.escalation.models import Escalation
from slawatch.leads.models import Handoff, Lead, SlaPolicy
from slawatch.leads.services import handoff_acknowledge
from slawatch.people.models import Calendar, Person, Team


class ModelPermissions(permissions.DjangoModelPermissions):
    """Reads for any signed-in user; writes need the model's add/change/delete permission."""

    perms_map = {**permissions.DjangoModelPermissions.perms_map,
                 "GET": [], "HEAD": [], "OPTIONS": []}


class Conflict(exceptions.APIException):
    status_code = 409
    default_code = "conflict"


class ConfigViewSet(viewsets.ModelViewSet):
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]

    def perform_destroy(self, instance):
        # A calendar a policy uses is PROTECTed: say who holds it instead of a 500.
        try:
            instance.delete()
        except ProtectedError as exc:
            users = sorted({f"{obj._meta.verbose_name} {obj}" for obj in exc.protected_objects})
            raise Conflict(f"{instance} is still used by: {', '.join(users)}") from None


class TeamViewSet(ConfigViewSet):
    queryset = Team.objects.all()
    serializer_class = s.TeamSerializer


class PersonViewSet(ConfigViewSet):
    queryset = Person.objects.prefetch_related("crm_identities")
    serializer_class = s.PersonSerializer
    filterset_fields = ["role", "team", "is_active"]

    def get_queryset(self):
        # A manager sees the team, a rep themself; RevOps, marketing and superusers all.
        return scoping.people_for(self.request.user, super().get_queryset())


class CalendarViewSet(ConfigViewSet):
    queryset = Calendar.objects.all()
    serializer_class = s.CalendarSerializer


class PolicyViewSet(ConfigViewSet):
    queryset = SlaPolicy.objects.all()
    serializer_class = s.PolicySerializer
    filterset_fields = ["heat", "team"]


class LeadViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Lead.objects.all()
    serializer_class = s.LeadSerializer
    filterset_fields = ["crm", "external_id", "status", "owner", "heat"]

    def get_queryset(self):
        # Row scoping shared with the admin: another team's lead is a 404.
        return scoping.leads_for(self.request.user, super().get_queryset())


class HandoffFilter(filters.FilterSet):
    class Meta:
        model = Handoff
        fields = ["status", "heat", "rep", "team", "lead"]


class HandoffViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Handoff.objects.select_related("lead").prefetch_related(
        Prefetch("escalations", queryset=Escalation.objects.order_by("created_at")))
    serializer_class = s.HandoffSerializer
    filterset_class = HandoffFilter

    def get_queryset(self):
        return scoping.handoffs_for(self.request.user, super().get_queryset())

    @extend_schema(request=None, responses=s.HandoffSerializer,
                   description="Acknowledge the handoff's pending escalations: stops further "
                               "steps and repeats; the breach stays on record.")
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        handoff = self.get_object()
        if not scoping.may_act_on_handoffs(request.user):
            raise PermissionDenied("marketing can read handoffs but not acknowledge them")
        handoff_acknowledge(handoff=handoff, by=scoping.actor_name(request.user))
        handoff = self.get_queryset().get(pk=handoff.pk)
        return Response(self.get_serializer(handoff).data)
