from datetime import date
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as public_holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from slawatch import clock, outbound


def validate_time_zone(value):
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Berlin)") from None


def validate_hours(value):
    if not isinstance(value, list):
        raise ValidationError("hours must be a list of {weekday, start, end}")
    for item in value:
        if not isinstance(item, dict) or set(item) - {"weekday", "start", "end"}:
            raise ValidationError("each hours entry is {weekday, start, end}")
        try:
            weekday = int(item.get("weekday"))
            clock.Interval(weekday, clock.parse_hhmm(item.get("start")),
                           clock.parse_hhmm(item.get("end")))
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"hours entry {item}: {exc}") from None


def validate_holidays(value):
    if not isinstance(value, list):
        raise ValidationError("holidays must be a list of ISO dates")
    for item in value:
        try:
            date.fromisoformat(item)
        except (TypeError, ValueError):
            raise ValidationError(f"{item!r} is not an ISO date (YYYY-MM-DD)") from None


def validate_country(value):
    if value and value.upper() not in public_holidays.list_supported_countries():
        raise ValidationError(f"{value!r} is not a country the holidays package knows")


def validate_outbound_url(value):
    """A URL slawatch will send to: https://hooks.slack.com/… or an allow-listed host."""
    problem = outbound.url_problem(value, settings.SLAWATCH_OUTBOUND_ALLOWED_HOSTS)
    if value and problem is not None:
        raise ValidationError(f"The URL {problem}.")


def calendar_spec_to_clock(spec):
    """A snapshot dict (see Calendar.spec) to a pure BusinessCalendar."""
    if spec is None or spec.get("always_open"):
        return clock.BusinessCalendar(always_open=True)
    country = spec.get("country")
    public = public_holidays.country_holidays(country.upper()) if country else None
    days = clock.HolidaySet((date.fromisoformat(d) for d in spec.get("holidays", [])), public)
    return clock.BusinessCalendar.from_spec(spec["time_zone"], spec.get("hours", []), days)


class Calendar(models.Model):
    """When a team works: weekly hours in a zone, holidays, or always open (24x7)."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    always_open = models.BooleanField(default=False)
    hours = models.JSONField(default=list, blank=True, validators=[validate_hours],
                             help_text='[{"weekday": 0, "start": "09:00", "end": "17:30"}], Monday=0')
    holidays = models.JSONField(default=list, blank=True, validators=[validate_holidays],
                                help_text='["2026-12-25", ...]')
    country = models.CharField(max_length=8, blank=True, validators=[validate_country],
                               help_text="ISO country code for public holidays (optional)")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if not self.always_open and not self.hours:
            raise ValidationError({"hours": "a calendar that is not always open needs hours"})

    def spec(self):
        return {"name": self.name, "time_zone": self.time_zone, "always_open": self.always_open,
                "hours": self.hours, "holidays": self.holidays, "country": self.country or None}

    @cached_property
    def business_calendar(self):
        return calendar_spec_to_clock(self.spec())


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    manager = models.ForeignKey("Person", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="managed_teams")
    escalation_contact = models.ForeignKey("Person", null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="+")
    slack_webhook_url = models.URLField(blank=True, max_length=500)
    slack_channel = models.CharField(max_length=40, blank=True,
                                     help_text="channel id for chat.postMessage (bot token)")
    max_reroutes_per_lead = models.PositiveSmallIntegerField(default=2)
    last_routed_to = models.ForeignKey("Person", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+",
                                       help_text="round-robin pointer for reassign-on-breach")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    REP = "rep", "Sales rep"
    MANAGER = "manager", "Sales manager"
    DIRECTOR = "director", "Sales director"
    MARKETING = "marketing", "Marketing"
    REVOPS = "revops", "RevOps"


class Person(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="members")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    slack_user_id = models.CharField(max_length=40, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="person")
    is_active = models.BooleanField(default=True)
    digest_enabled = models.BooleanField(
        default=False, help_text="managers: one summary a day instead of a message per breach")
    digest_time = models.TimeField(null=True, blank=True,
                                   help_text="local time of day for the digest")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self):
        return self.name

    @property
    def crm_ids(self):
        return {identity.crm: identity.owner_id for identity in self.crm_identities.all()}


class CrmIdentity(models.Model):
    """The id a CRM uses for this person as a record owner (HubSpot owner id, Salesforce 005…)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="crm_identities")
    crm = models.CharField(max_length=50)
    owner_id = models.CharField(max_length=100)

    class Meta:
        verbose_name = "CRM identity"
        verbose_name_plural = "CRM identities"
        constraints = [
            models.UniqueConstraint(fields=["crm", "owner_id"], name="crm_identity_unique_owner"),
            models.UniqueConstraint(fields=["person", "crm"], name="crm_identity_one_per_crm"),
        ]

    def __str__(self):
        return f"{self.crm}:{self.owner_id}"
