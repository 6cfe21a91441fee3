"""Each report family: its selector, its columns in order, and what every column means.

The same definitions feed the OpenAPI schema, the CSV header and the dashboard, so
the words a reader sees next to a figure are the words that defined it
(docs/KPIS.md is the long form).
"""

from dataclasses import dataclass, field

from slawatch.quality.models import RejectReason
from slawatch.reports import selectors

INT, FLOAT, STR = "integer", "number", "string"
POPULATION = "handoffs with handed_off_at in [start, end)"
WALL = "wall-clock minutes from handoff to the first qualifying touch"
BUSINESS = "business minutes (the SLA policy's calendar) from handoff to the first qualifying touch"
PCT = "linear interpolation between closest ranks (percentile_cont); null when no value"


ACRONYMS = {"cac": "CAC", "roi": "ROI", "clv": "CLV", "sla": "SLA", "p90": "p90"}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    definition: str
    nullable: bool = False

    @property
    def heading(self):
        """What a reader sees above the column: 'cost_per_lead' -> 'Cost per lead'."""
        words = [ACRONYMS.get(w, w) for w in self.name.split("_")]
        return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    summary: str
    selector: object
    columns: list[Column] = field(default_factory=list)
    chart: tuple[str, ...] = ()  # columns drawn on the dashboard
    group_bys: tuple[str, ...] = selectors.GROUP_BYS

    @property
    def column_names(self):
        return [c.name for c in self.columns]


KEY = [Column("key", STR, "the grouped value as text: an id for rep and team, the Monday "
                          "(YYYY-MM-DD) for week, the value itself otherwise"),
       Column("label", STR, "display name of the group")]

SPEED = [
    Column("speed_to_lead_median_minutes", FLOAT, f"median {WALL}; {PCT}", True),
    Column("speed_to_lead_p90_minutes", FLOAT, f"90th percentile {WALL}; {PCT}", True),
    Column("speed_to_lead_business_median_minutes", FLOAT, f"median {BUSINESS}; {PCT}", True),
    Column("speed_to_lead_business_p90_minutes", FLOAT, f"90th percentile {BUSINESS}; {PCT}", True),
]

SLA = Family("sla", "SLA compliance", f"SLA outcome of {POPULATION}.", selectors.sla_report, KEY + [
    Column("handoffs", INT, f"number of {POPULATION}"),
    Column("met", INT, "handoffs whose every milestone due so far was met on time"),
    Column("breached", INT, "handoffs where a milestone (first touch or follow-up) was missed"),
    Column("open", INT, "handoffs with no outcome yet (first touch not yet due)"),
    Column("closed", INT, "handoffs reassigned, converted or disqualified before any outcome"),
    Column("compliance", FLOAT, "met / (met + breached), 0-1; open and closed handoffs are "
                                "excluded; null when met + breached = 0", True),
    Column("breaches_acknowledged", INT, "breached handoffs that someone acknowledged"),
    Column("ack_median_minutes", FLOAT, "median minutes from the missed due time to the "
                                        "acknowledgement, over acknowledged breaches (an "
                                        f"acknowledgement before the breach counts 0); {PCT}",
           True),
] + SPEED, chart=("compliance",))

SPEED_FAMILY = Family("speed", "Speed to lead", f"Time to first touch of {POPULATION}.",
                      selectors.speed_report, KEY + [
    Column("handoffs", INT, f"number of {POPULATION}"),
    Column("touched", INT, "handoffs with a first qualifying touch"),
    Column("touched_rate", FLOAT, "touched / handoffs; null when no handoffs", True),
] + SPEED, chart=("speed_to_lead_median_minutes", "speed_to_lead_p90_minutes"))

LEAKAGE = Family("leakage", "Leakage", f"Leads that fell through, among {POPULATION}.",
                 selectors.leakage_report, KEY + [
    Column("handoffs", INT, f"number of {POPULATION}"),
    Column("never_touched", INT, "breached handoffs with no qualifying touch at all by their rep"),
    Column("dropped_after_first_touch", INT, "handoffs touched once (first milestone met, on "
                                             "time or late) whose first follow-up is breached "
                                             "with no touch"),
    Column("never_touched_rate", FLOAT, "never_touched / handoffs", True),
    Column("dropped_rate", FLOAT, "dropped_after_first_touch / handoffs", True),
], chart=("never_touched", "dropped_after_first_touch"))

_REASONS = [Column(f"rejected_{r.value}", INT, f"standing rejections with reason '{r.label}'")
            for r in RejectReason]
_OUTCOMES = [Column(f"disputes_{o}", INT, f"disputed rejections whose latest dispute is {o}")
             for o in selectors.OUTCOMES]

QUALITY = Family("quality", "Lead quality", f"Feedback and disputes on the leads of {POPULATION}. "
                 "A lead's verdict is its most recent feedback; its dispute outcome the most "
                 "recent dispute on that feedback. Counts are distinct leads.",
                 selectors.quality_report, KEY + [
    Column("handoffs", INT, f"number of {POPULATION}"),
    Column("leads", INT, "distinct leads among those handoffs"),
    Column("with_feedback", INT, "leads with at least one feedback"),
    Column("accepted", INT, "leads whose verdict is accepted"),
    Column("overturned", INT, "rejected leads whose dispute was overturned (count as accepted)"),
    Column("rejected", INT, "standing rejections: rejected and not overturned"),
    Column("rejected_as_given", INT, "leads rejected by the rep, whatever the dispute outcome"),
    Column("disputed", INT, "rejected leads with at least one dispute"),
    Column("feedback_rate", FLOAT, "with_feedback / leads", True),
    Column("acceptance_rate", FLOAT, "(accepted + overturned) / with_feedback", True),
    Column("dispute_rate", FLOAT, "disputed / rejected_as_given", True),
] + _REASONS + _OUTCOMES, chart=("acceptance_rate",))

FUNNEL = Family("funnel", "Funnel", f"From handoff to opportunity and won deal, for {POPULATION}. "
                "An opportunity is credited to the handoff that held the lead when it opened.",
                selectors.funnel_report, KEY + [
    Column("handoffs", INT, f"number of {POPULATION}"),
    Column("leads", INT, "distinct leads among those handoffs"),
    Column("marketing_sourced_leads", INT, "distinct leads sourced by marketing"),
    Column("sales_sourced_leads", INT, "distinct leads sourced by sales"),
    Column("converted", INT, "handoffs during which an opportunity was opened on the lead"),
    Column("conversion", FLOAT, "converted / handoffs", True),
    Column("met", INT, "handoffs with SLA met"),
    Column("met_converted", INT, "SLA-met handoffs that converted"),
    Column("met_conversion", FLOAT, "met_converted / met", True),
    Column("missed", INT, "handoffs with SLA breached"),
    Column("missed_converted", INT, "SLA-breached handoffs that converted"),
    Column("missed_conversion", FLOAT, "missed_converted / missed", True),
    Column("won", INT, "won opportunities credited to these handoffs"),
    Column("avg_sales_cycle_days", FLOAT, "mean days from handoff to the won opportunity's "
                                          "close, over won opportunities", True),
], chart=("met_conversion", "missed_conversion"))

REVENUE = Family("revenue", "Pipeline and revenue", "Opportunities credited to "
                 f"{POPULATION}, by group, currency and who sourced the lead. Amounts are "
                 "never converted between currencies.", selectors.revenue_report, KEY + [
    Column("currency", STR, "ISO currency code of the opportunities"),
    Column("sourced_by", STR, "marketing or sales: who sourced the lead"),
    Column("opportunities", INT, "opportunities credited"),
    Column("open_opportunities", INT, "of which still open"),
    Column("pipeline", STR, "sum of amounts of open opportunities (decimal string)"),
    Column("won", INT, "won opportunities"),
    Column("revenue", STR, "sum of amounts of won opportunities (decimal string)"),
], chart=("revenue",))

COMMITMENTS = Family("commitments", "Commitments", "Leads marketing committed per rep or team "
                     "for a quarter against leads delivered, beside compliance and conversion.",
                     selectors.commitments_report, [
    Column("key", STR, "rep:<id> or team:<id>"),
    Column("label", STR, "the rep's or team's name"),
    Column("kind", STR, "rep or team"),
    Column("year", INT, "year of the commitment"),
    Column("quarter", INT, "quarter (1-4) of the commitment"),
    Column("committed", INT, "leads marketing committed"),
    Column("expected_to_date", FLOAT, "committed x the elapsed part of the quarter"),
    Column("delivered", INT, "handoffs of marketing-sourced leads to the rep (or to the team's "
                             "reps) with handed_off_at in the quarter"),
    Column("delivery_rate", FLOAT, "delivered / committed", True),
    Column("handoffs", INT, "all handoffs to the rep or team in the quarter"),
    Column("compliance", FLOAT, "met / (met + breached) over those handoffs", True),
    Column("conversion", FLOAT, "converted handoffs / handoffs", True),
    Column("verdict", STR, "'on track', or what fell short: 'short on leads' (delivered below "
                           "expected_to_date), 'slow follow-up' (compliance below target), "
                           "'low conversion' (conversion below target)"),
], chart=("committed", "delivered"), group_bys=())

COHORT = "leads first created in the CRM in [start, end)"
MONEY = "in the reporting currency (SLAWATCH_REPORTING_CURRENCY), decimal string"
MONTHS = "the months whose first day lies in [start, end)"
UNCONVERTED = Column("unconverted", INT, "amounts left out because no rate converts their "
                                         "currency (spend rows and opportunities)")
CURRENCY = Column("currency", STR, "the reporting currency every money column is in")

MARKETING = Family("marketing", "Marketing economics", f"Spend against the {COHORT}, each "
                   "attributed to its first source and campaign; spend counts for "
                   f"{MONTHS}. Money {MONEY}.", selectors.marketing_report, [
    Column("key", STR, "the source, the campaign, or the month (YYYY-MM)"),
    Column("label", STR, "display name of the group"),
    Column("leads", INT, f"number of {COHORT}"),
    Column("visits", INT, "site visits the source brought in those months (null when "
                          "grouped by campaign: visits are per source)", True),
    Column("visit_to_lead", FLOAT, "leads / visits", True),
    Column("spend", STR, f"marketing spend of {MONTHS}, {MONEY}; null for a user who does "
                         "not see every lead", True),
    Column("sales_spend", STR, f"sales spend of {MONTHS}, {MONEY}", True),
    Column("cost_per_lead", STR, "spend / leads", True),
    Column("opportunities", INT, "opportunities on those leads, opened at any time"),
    Column("lead_to_opportunity", FLOAT, "leads with an opportunity / leads", True),
    Column("pipeline", STR, f"amounts of their open opportunities, {MONEY}"),
    Column("won_revenue", STR, f"amounts of their won opportunities, {MONEY}"),
    Column("customers", INT, "leads with a won opportunity"),
    Column("cac", STR, "customer acquisition cost: (spend + sales_spend) / customers", True),
    Column("roi", FLOAT, "marketing ROI: (won_revenue - spend) / spend", True),
    Column("clv", STR, "customer lifetime value: won_revenue / customers x "
                       "SLAWATCH_CLV_GROSS_MARGIN x SLAWATCH_CLV_LIFETIME_YEARS", True),
    Column("clv_to_cac", FLOAT, "clv / cac", True),
    CURRENCY, UNCONVERTED,
], chart=("cost_per_lead",), group_bys=selectors.MARKETING_GROUP_BYS)

SALES = Family("sales", "Sales results", f"Closing ratio, sales cycle and revenue per account "
               f"for {POPULATION}; opportunities are credited as in the funnel. Money {MONEY}.",
               selectors.sales_report, KEY + [
    Column("handoffs", INT, f"number of {POPULATION}"),
    Column("opportunities", INT, "opportunities credited to these handoffs"),
    Column("won", INT, "of which won"),
    Column("lost", INT, "of which lost"),
    Column("closing_ratio", FLOAT, "won / (won + lost); open opportunities are left out", True),
    Column("median_sales_cycle_days", FLOAT, "median days from handoff to the close of a won "
                                             f"opportunity; {PCT}", True),
    Column("won_revenue", STR, f"amounts of the won opportunities, {MONEY}"),
    Column("accounts", INT, "distinct companies with a won opportunity (a lead without a "
                            "company is an account of its own)"),
    Column("revenue_per_account", STR, "won_revenue / accounts", True),
    CURRENCY, UNCONVERTED,
], chart=("closing_ratio",), group_bys=selectors.SALES_GROUP_BYS)

FAMILIES = {f.name: f for f in (SLA, SPEED_FAMILY, LEAKAGE, QUALITY, FUNNEL, REVENUE, SALES,
                                MARKETING, COMMITMENTS)}
