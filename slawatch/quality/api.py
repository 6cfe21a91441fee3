"""REST resources for lead quality: feedback/ and disputes/ (pinned in CONTRACT.md).

Rows are scoped with scoping.py (the same rule as the admin); writes go through
services.py. Anything a row's scope hides answers 404; a missing permission 403.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from slawatch.access import scoping
from slawatch.api.serializers import django_errors
from slawatch.api.views import ModelPermissions
from slawatch.quality import services
from slawatch.quality.models import (
    RESOLUTIONS,
    DisputeComment,
    DisputeOutcome,
    LeadFeedback,
    QualityDispute,
    RejectReason,
    Verdict,
)
from slawatch.quality.selectors import feedback_with_effective_verdict


class ScopedLeadField(serializers.PrimaryKeyRelatedField):
    """Only leads the user may see resolve: another team's lead id is 'does not exist'."""

    def get_queryset(self):
        return scoping.leads_for(self.context["request"].user)


class FeedbackSerializer(serializers.ModelSerializer):
    lead = ScopedLeadField()
    verdict = serializers.ChoiceField(Verdict.choices)
    reason = serializers.ChoiceField(RejectReason.choices, required=False, allow_blank=True)
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True)
    effective_verdict = serializers.SerializerMethodField()

    class Meta:
        model = LeadFeedback
        fields = ["id", "lead", "verdict", "reason", "rating", "comment", "given_by",
                  "effective_verdict", "created_at", "updated_at"]
        read_only_fields = ["given_by", "created_at", "updated_at"]
        validators = []  # one-per-rep is handled by the service (a second POST replaces)

    def get_effective_verdict(self, obj) -> str:
        return getattr(obj, "effective_verdict", None) or obj.verdict

    def validate(self, attrs):
        if self.instance is not None and attrs.get("lead", self.instance.lead) != self.instance.lead:
            raise serializers.ValidationError({"lead": "feedback stays on its lead; "
                                                       "POST a new one for another lead"})
        merged = {name: getattr(self.instance, name) for name in
                  ("lead", "verdict", "reason", "rating", "comment")} if self.instance else {}
        merged.update(attrs)
        try:
            LeadFeedback(**merged).clean()
        except DjangoValidationError as exc:
            raise django_errors(exc) from None
        return merged


class FeedbackViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                      viewsets.ReadOnlyModelViewSet):
    """A rep's verdict on a lead. POST again for the same lead replaces the verdict."""

    serializer_class = FeedbackSerializer
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    queryset = LeadFeedback.objects.none()  # for the schema; get_queryset scopes
    filterset_fields = ["lead", "verdict", "reason", "given_by"]

    def get_queryset(self):
        return feedback_with_effective_verdict(
            scoping.feedback_for(self.request.user))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        feedback, created = self._give(serializer.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=feedback.pk)).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        if instance.given_by_id != getattr(scoping.person_of(request.user), "pk", None):
            raise PermissionDenied("only the rep who gave this feedback can change it")
        serializer = self.get_serializer(instance, data=request.data,
                                         partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        feedback, _ = self._give(serializer.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=feedback.pk)).data)

    def _give(self, data):
        person = scoping.person_of(self.request.user)
        if person is None:
            raise PermissionDenied("your user is not linked to a person, "
                                   "so it cannot give feedback")
        try:
            return services.feedback_give(
                lead=data["lead"], by=person, verdict=data["verdict"],
                reason=data.get("reason") or "", rating=data.get("rating"),
                comment=data.get("comment") or "")
        except DjangoValidationError as exc:
            raise django_errors(exc) from None


class ScopedRejectionField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return scoping.feedback_for(self.context["request"].user)


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = DisputeComment
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class DisputeSerializer(serializers.ModelSerializer):
    feedback = ScopedRejectionField()
    reason = serializers.CharField()
    lead = serializers.IntegerField(source="feedback.lead_id", read_only=True)
    comments = CommentSerializer(many=True, read_only=True)

    class Meta:
        model = QualityDispute
        fields = ["id", "feedback", "lead", "reason", "outcome", "filed_by", "resolved_by",
                  "resolved_at", "resolution_comment", "created_at", "comments"]
        read_only_fields = ["outcome", "filed_by", "resolved_by", "resolved_at",
                            "resolution_comment", "created_at"]

    def validate_feedback(self, feedback):
        if feedback.verdict != Verdict.REJECTED:
            raise serializers.ValidationError("only a rejection can be disputed")
        return feedback


class ResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField([(o, o) for o in RESOLUTIONS])
    comment = serializers.CharField(help_text="why: required")


class DisputeViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Marketing contests a rejection; a manager or RevOps resolves it with a comment."""

    serializer_class = DisputeSerializer
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    queryset = QualityDispute.objects.none()
    filterset_fields = ["outcome", "feedback"]

    def get_queryset(self):
        return scoping.disputes_for(self.request.user, QualityDispute.objects.select_related(
            "feedback").prefetch_related("comments"))

    def perform_create(self, serializer):
        try:
            serializer.instance = services.dispute_file(
                feedback=serializer.validated_data["feedback"],
                by=scoping.person_of(self.request.user),
                reason=serializer.validated_data["reason"])
        except DjangoValidationError as exc:
            raise django_errors(exc) from None

    @extend_schema(request=ResolveSerializer, responses=DisputeSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def resolve(self, request, pk=None):
        dispute = self.get_object()  # 404 outside the user's scope
        if not request.user.has_perm("quality.resolve_qualitydispute"):
            raise PermissionDenied("only a sales manager or RevOps can resolve a dispute")
        body = ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(services.dispute_resolve, dispute=dispute,
                         outcome=body.validated_data["outcome"],
                         comment=body.validated_data["comment"])

    @extend_schema(request=None, responses=DisputeSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def withdraw(self, request, pk=None):
        dispute = self.get_object()
        person = scoping.person_of(request.user)
        if not (request.user.is_superuser or (person and dispute.filed_by_id == person.pk)):
            raise PermissionDenied("only the marketer who filed a dispute can withdraw it")
        return self._act(services.dispute_withdraw, dispute=dispute)

    @extend_schema(request=CommentSerializer, responses=CommentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def comment(self, request, pk=None):
        """Add to the dispute's conversation (marketing, the rep, the resolver)."""
        dispute = self.get_object()
        if not request.user.has_perm("quality.add_disputecomment"):
            raise PermissionDenied("your role cannot comment on disputes")
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = services.dispute_comment(dispute=dispute, by=scoping.person_of(request.user),
                                           body=body.validated_data["body"])
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    def _act(self, service, **kwargs):
        try:
            dispute = service(by=scoping.person_of(self.request.user), **kwargs)
        except DjangoValidationError as exc:
            return Response({"error": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT
                            if kwargs["dispute"].outcome != DisputeOutcome.OPEN
                            else status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(dispute).data)
