"""Inputs of the marketing economics: spend per month, site visits, exchange rates.

They sit beside the CRM events: slawatch learns leads and deals from the CRM and what
they cost from these rows (imported as CSV or entered in the admin or the API).
"""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from slawatch.economics import money


class SpendCategory(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"


def validate_currency(value):
    if not money.is_currency(value):
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code (e.g. USD, EUR)")


def validate_first_of_month(value):
    if value.day != 1:
        raise ValidationError("a month is stored as its first day")


def validate_positive(value):
    if value is None or value <= 0:
        raise ValidationError("a rate must be greater than 0")


class Spend(models.Model):
    """What was spent in one month on one source (and campaign), in one currency.

    One row per month, source, campaign and category: importing the same four again
    replaces the amount instead of adding a second figure.
    """

    month = models.DateField(validators=[validate_first_of_month],
                             help_text="the month, stored as its first day")
    source = models.CharField(max_length=100, help_text="the lead source the money bought")
    campaign = models.CharField(max_length=200, blank=True, default="")
    category = models.CharField(max_length=10, choices=SpendCategory.choices,
                                default=SpendCategory.MARKETING)
    amount = models.DecimalField(max_digits=14, decimal_places=2,
                                 validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, validators=[validate_currency])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "spend"
        ordering = ["-month", "source", "campaign", "category"]
        constraints = [models.UniqueConstraint(fields=["month", "source", "campaign", "category"],
                                               name="spend_unique_month_source_campaign")]

    def __str__(self):
        campaign = f" / {self.campaign}" if self.campaign else ""
        return f"{money.month_text(self.month)} {self.source}{campaign} ({self.category})"


class Visits(models.Model):
    """Visitors a source brought to the site in one month (for visitor-to-lead)."""

    month = models.DateField(validators=[validate_first_of_month])
    source = models.CharField(max_length=100)
    visits = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "visits"
        ordering = ["-month", "source"]
        constraints = [models.UniqueConstraint(fields=["month", "source"],
                                               name="visits_unique_month_source")]

    def __str__(self):
        return f"{money.month_text(self.month)} {self.source}: {self.visits}"


class Rate(models.Model):
    """Units of the reporting currency one unit of `currency` buys in `month`."""

    month = models.DateField(validators=[validate_first_of_month])
    currency = models.CharField(max_length=3, validators=[validate_currency])
    rate = models.DecimalField(max_digits=18, decimal_places=8, validators=[validate_positive])

    class Meta:
        ordering = ["-month", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["month", "currency"], name="rate_unique_month_currency"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="rate_positive"),
        ]

    def __str__(self):
        return f"{money.month_text(self.month)} 1 {self.currency} = {self.rate}"
