"""Create the demo organisation, logins and a few weeks of history (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from slawatch.demo import setup


class Command(BaseCommand):
    help = ("Create demo teams, people (with demo-crm owner ids and Slack ids), calendars, "
            "the three heat policies, logins and a few weeks of history. Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000",
                            help="where the app runs (teams' Slack webhooks go to its sink)")
        parser.add_argument("--hot-minutes", type=int, default=2,
                            help="first-touch SLA of the 24x7 hot tier, in minutes")
        parser.add_argument("--days", type=int, default=21, help="days of history")
        parser.add_argument("--per-day", type=int, default=6,
                            help="historical leads per team per weekday")
        parser.add_argument("--no-history", action="store_true")

    def handle(self, *args, **options):
        if not settings.SLAWATCH_DEMO:  # it creates logins with published passwords
            raise CommandError("slawatch_demo_data runs only in demo mode (SLAWATCH_DEMO=1): "
                               "it creates an admin login whose password is published")
        if options["hot_minutes"] < 1:
            self.stderr.write("--hot-minutes must be at least 1")
            raise SystemExit(2)
        people = setup.ensure_org(options["base_url"], options["hot_minutes"])
        logins = setup.ensure_logins(people)
        setup.ensure_definition(options["days"])
        leads = 0 if options["no_history"] else setup.load_history(options["days"],
                                                                     options["per_day"])
        stale = setup.close_stale_simulated()
        self.stdout.write(f"demo data ready: {len(people)} people, {leads} historical leads"
                          + (f", {stale} leads of an earlier run closed" if stale else ""))
        for login in logins:
            self.stdout.write(f"  login {login.username:<6} password {login.password}  "
                              f"({login.role}{'' if login.person == '-' else ', ' + login.person})")
