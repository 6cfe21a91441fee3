from datetime import timedelta

from django.db.models import Prefetch, ProtectedError
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from slawatch.access import handoff_rules, scoping
from slawatch.api import serializers as s
from slawatch.escalation.models import Escalation
from slawatch.leads.models import Handoff, Lead, SlaPolicy
from slawatch.leads.reassign import ReassignRefused, handoff_reassign
from slawatch.leads.services import HandoffGone, handoff_acknowledge, handoff_snooze
from slawatch.people.models import Calendar, Person, Team


class ModelPermissions(permissions.DjangoModelPermissions):
    """Reads for any signed-in user (rows scoped by the viewset); writes need the model's
    add/change/delete permission."""

    perms_map = {**permissions.DjangoModelPermissions.perms_map,
                 "GET": [], "HEAD": [], "OPTIONS": []}


class ViewModelPermissions(permissions.DjangoModelPermissions):
    """Reads need the model's view permission too (teams, calendars, policies: configuration
    a rep has no business reading); writes as above."""

    perms_map = {**permissions.DjangoModelPermissions.perms_map,
                 "GET": ["%(app_label)s.view_%(model_name)s"],
                 "HEAD": ["%(app_label)s.view_%(model_name)s"],
                 "OPTIONS": ["%(app_label)s.view_%(model_name)s"]}


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


class ViewPermissionConfigViewSet(ConfigViewSet):
    permission_classes = [permissions.IsAuthenticated, ViewModelPermissions]


class TeamViewSet(ViewPermissionConfigViewSet):
    queryset = Team.objects.all()
    serializer_class = s.TeamSerializer


class PersonViewSet(ConfigViewSet):
    queryset = Person.objects.prefetch_related("crm_identities")
    serializer_class = s.PersonSerializer
    filterset_fields = ["role", "team", "is_active"]

    def get_queryset(self):
        # A manager sees the team, a rep themself; RevOps, marketing and superusers all.
        return scoping.people_for(self.request.user, super().get_queryset())


class CalendarViewSet(ViewPermissionConfigViewSet):
    queryset = Calendar.objects.all()
    serializer_class = s.CalendarSerializer


class PolicyViewSet(ViewPermissionConfigViewSet):
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
        why = handoff_rules.refusal(request.user, handoff, handoff_rules.ACKNOWLEDGE)
        if why is not None:  # the same rule as the Slack button and the board
            raise PermissionDenied(why)
        try:
            handoff_acknowledge(handoff=handoff, by=scoping.actor_name(request.user))
        except HandoffGone as exc:
            raise NotFound(str(exc)) from None
        handoff_id = handoff.pk
        handoff = self.get_queryset().filter(pk=handoff_id).first()
        if handoff is None:
            raise NotFound(str(HandoffGone(handoff_id)))
        return Response(self.get_serializer(handoff).data)

    def _allowed(self, request, action_name):
        handoff = self.get_object()  # another team's handoff is a 404, as for reads
        why = handoff_rules.refusal(request.user, handoff, action_name)
        if why is not None:  # the same rule as the Slack buttons and the board
            raise PermissionDenied(why)
        return handoff

    def _fresh(self, handoff):
        return Response(self.get_serializer(self.get_queryset().get(pk=handoff.pk)).data)

    @extend_schema(request=s.ReassignSerializer, responses=s.HandoffSerializer,
                   description="Hand the lead to another rep of the team (`to`, a person id; "
                               "omitted: the team's round robin). Closes this handoff as "
                               "reassigned; the answer is the new handoff. With "
                               "SLAWATCH_CRM_WRITEBACK=1 the CRM's owner follows.")
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        handoff = self._allowed(request, handoff_rules.REASSIGN)
        params = s.ReassignSerializer(data=request.data)
        # A person outside the caller's people/ does not exist for them: the refusal
        # below names the person and says what they are.
        params.fields["to"].queryset = scoping.people_for(request.user)
        params.is_valid(raise_exception=True)
        try:
            to = handoff_reassign(handoff=handoff, to=params.validated_data.get("to"),
                                  by=scoping.actor_name(request.user))
        except ReassignRefused as exc:
            raise exceptions.ValidationError({"to": exc.messages}) from None
        new = Handoff.objects.filter(lead_id=handoff.lead_id, rep=to, closed_at__isnull=True) \
            .order_by("-handed_off_at").first()
        return self._fresh(new or handoff)

    @extend_schema(request=s.SnoozeSerializer, responses=s.HandoffSerializer,
                   description="Hold the ladder's messages for `minutes`; breaches are still "
                               "recorded on time.")
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        handoff = self._allowed(request, handoff_rules.SNOOZE)
        params = s.SnoozeSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        until = timezone.now() + timedelta(minutes=params.validated_data["minutes"])
        handoff_snooze(handoff=handoff, until=until, by=scoping.actor_name(request.user))
        return self._fresh(handoff)
