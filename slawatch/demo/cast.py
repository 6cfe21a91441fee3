"""The demo organisation: who works where, when, and how fast hot leads must be called.

Plain data (no Django), shared by the demo data command, the history generator
and the CRM simulator, so the simulator's owner ids always match the people the
demo created.
"""

from slawatch.leads.events import COLD, HOT, WARM
from slawatch.leads.heat_rules import IGNORE

CRM = "demo-crm"
PASSWORD = "slawatch-demo"  # printed by make run; demo databases only

CALENDARS = [
    {"name": "Always open (24x7)", "time_zone": "UTC", "always_open": True, "hours": [],
     "country": ""},
    {"name": "US business hours", "time_zone": "America/New_York", "always_open": False,
     "hours": [{"weekday": d, "start": "09:00", "end": "17:30"} for d in range(5)],
     "country": "US"},
    {"name": "EMEA business hours", "time_zone": "Europe/Berlin", "always_open": False,
     "hours": [{"weekday": d, "start": "09:00", "end": "17:30"} for d in range(5)],
     "country": "DE"},
]

TEAMS = [
    {"name": "North America", "manager": "Maya Chen", "escalation_contact": "Dan Okafor",
     "calendar": "US business hours", "webhook": "north-america"},
    {"name": "EMEA", "manager": "Lena Fischer", "escalation_contact": "Dan Okafor",
     "calendar": "EMEA business hours", "webhook": "emea"},
]

# name, role, team, time zone, slack id, demo-crm owner id, demo login (or None)
PEOPLE = [
    ("Dan Okafor", "director", None, "America/New_York", "U0DIRECTOR", None, None),
    ("Maya Chen", "manager", "North America", "America/New_York", "U0MAYA", "mgr-100", "maya"),
    ("Lena Fischer", "manager", "EMEA", "Europe/Berlin", "U0LENA", "mgr-200", None),
    ("Rita Alvarez", "rep", "North America", "America/New_York", "U0RITA", "rep-101", "rita"),
    ("Sam Patel", "rep", "North America", "America/Chicago", "U0SAM", "rep-102", None),
    ("Jo Kim", "rep", "North America", "America/Los_Angeles", "U0JO", "rep-103", None),
    ("Ines Martin", "rep", "EMEA", "Europe/Madrid", "U0INES", "rep-201", None),
    ("Tom Berg", "rep", "EMEA", "Europe/Berlin", "U0TOM", "rep-202", None),
    ("Mia Wong", "marketing", None, "America/New_York", "U0MIA", None, "mia"),
    ("Rob Singh", "revops", None, "America/New_York", "U0ROB", None, "rob"),
]

REPS_BY_TEAM = {
    team["name"]: [p[5] for p in PEOPLE if p[1] == "rep" and p[2] == team["name"]]
    for team in TEAMS
}
ALL_REPS = [owner for owners in REPS_BY_TEAM.values() for owner in owners]


def hot_steps(repeat_minutes):
    """The 24x7 hot tier's ladder: warn the rep half way, the manager and the team
    channel at the breach (the manager again until someone acknowledges), the
    director by email a minute after."""
    return [
        {"at_percent": 50, "notify": "rep", "channel": "slack"},
        {"at_percent": 100, "notify": "manager", "channel": "slack",
         "repeat_minutes": repeat_minutes},
        {"at_percent": 100, "notify": "team_channel", "channel": "slack"},
        {"after_breach_minutes": 1, "notify": "escalation_contact", "channel": "email"},
    ]


BUSINESS_STEPS = [
    {"at_percent": 75, "notify": "rep", "channel": "slack"},
    {"at_percent": 100, "notify": "manager", "channel": "email"},
    {"after_breach_minutes": 60, "notify": "escalation_contact", "channel": "email"},
]


def policies(hot_minutes=2):
    """The three heat tiers (team-wide defaults) plus EMEA's own warm tier."""
    return [
        {"heat": HOT, "team": None, "calendar": "Always open (24x7)",
         "first_touch_minutes": hot_minutes, "follow_up_touches": 0,
         "follow_up_window_minutes": 0, "steps": hot_steps(max(1, hot_minutes * 2))},
        {"heat": WARM, "team": None, "calendar": "US business hours",
         "first_touch_minutes": 60, "follow_up_touches": 1, "follow_up_window_minutes": 480,
         "steps": BUSINESS_STEPS},
        {"heat": WARM, "team": "EMEA", "calendar": "EMEA business hours",
         "first_touch_minutes": 60, "follow_up_touches": 1, "follow_up_window_minutes": 480,
         "steps": BUSINESS_STEPS},
        {"heat": COLD, "team": None, "calendar": "US business hours",
         "first_touch_minutes": 480, "follow_up_touches": 0, "follow_up_window_minutes": 0,
         "steps": BUSINESS_STEPS[:2]},
    ]


SOURCES = ["demo_request", "webinar", "content_download", "paid_search", "partner_referral",
           "trade_show"]
CAMPAIGNS = ["Q4-webinar", "Black-Friday-ads", "Partner-summit", "Pricing-page", ""]
FIRST_NAMES = ["Ana", "Ben", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hiro", "Ivy", "Jonas",
               "Kira", "Liam", "Mona", "Nico", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tara"]
LAST_NAMES = ["Ruiz", "Schmidt", "Nakamura", "Okafor", "Dubois", "Rossi", "Novak", "Larsen",
              "Silva", "Kowalski", "Haddad", "Brennan"]
COMPANIES = ["Example Co", "Northwind", "Globex", "Initech", "Umbrella Labs", "Hooli",
             "Stark Freight", "Acme Robotics", "Vandelay Imports", "Wayne Analytics"]


STUDENT_DOMAINS = ["student.example.edu", "campus.example.ac.uk"]
FORMS = ["demo_request", "contact_us", "ebook", "newsletter", "pricing"]
COUNTRIES = ["US", "CA", "DE", "FR", "GB", "ES"]

# The lead definition the demo's sales and marketing signed (docs/DEFINITIONS.md): students
# are cold whatever else they did; a demo request or a score of 80 or more is hot.
DEFINITION = {
    "name": "Demo requests and high scores are hot; students are cold",
    "default_heat": WARM, "crm_heat": IGNORE,
    "rules": [
        {"heat": COLD, "when": [{"field": "email_domain", "op": "in",
                                   "value": STUDENT_DOMAINS}]},
        {"heat": HOT, "when": [{"field": "form", "op": "eq", "value": "demo_request"}]},
        {"heat": HOT, "when": [{"field": "score", "op": "gte", "value": 80}]},
    ],
}
DEFINITION_SIGNERS = ("Maya Chen", "Mia Wong")  # the sales side and the marketing side


def lead_fields(rng, external_id, heat):
    """A plausible lead for the generic event's `lead` object (demo names only), whose
    fields make DEFINITION give it `heat`: the CRM sends no heat of its own."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    company = rng.choice(COMPANIES)
    domain = company.lower().replace(" ", "") + ".example"
    form, score = rng.choice(FORMS[1:]), rng.randint(20, 79)
    if heat == HOT and rng.random() < 0.5:
        form = "demo_request"
    elif heat == HOT:
        score = rng.randint(80, 99)
    elif heat == COLD:
        domain, score = rng.choice(STUDENT_DOMAINS), rng.randint(5, 99)
    return {"external_id": external_id, "name": f"{first} {last}", "company": company,
            "email": f"{first.lower()}.{last.lower()}@{domain}",
            "source": "demo_request" if form == "demo_request" else rng.choice(SOURCES[1:]),
            "campaign": rng.choice(CAMPAIGNS), "score": score,
            "properties": {"form": form, "country": rng.choice(COUNTRIES)}}
