"""Run the demo CRM simulator against a running slawatch (see slawatch/demo/simulator.py)."""

import random
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from slawatch.demo.simulator import Simulator, run


class Command(BaseCommand):
    help = "Keep posting signed generic CRM events (new leads, assignments, touches) to slawatch."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000",
                            help="base URL of the running service")
        parser.add_argument("--hot-minutes", type=float, default=2.0,
                            help="the hot tier's first-touch SLA (to time prompt and late touches)")
        parser.add_argument("--lead-every", type=float, default=20.0,
                            help="seconds between new leads")
        parser.add_argument("--duration", type=float, default=None,
                            help="stop after this many seconds (default: run until stopped)")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, **options):
        secret = settings.SLAWATCH_EVENTS_SECRET
        if not secret:
            raise CommandError("SLAWATCH_EVENTS_SECRET is not set; the service would refuse "
                               "unsigned events (make run sets one)")
        simulator = Simulator(rng=random.Random(options["seed"]), run_id=f"{int(time.time())}",
                              hot_sla=timedelta(minutes=options["hot_minutes"]),
                              lead_every=timedelta(seconds=options["lead_every"]))
        self.stdout.write(f"simulator: posting to {options['url']}/webhooks/events/ "
                          f"(a new lead every {options['lead_every']:g} s)")
        try:
            sent = run(base_url=options["url"], secret=secret, simulator=simulator,
                       duration=options["duration"], out=self._out)
        except KeyboardInterrupt:
            return
        self.stdout.write(f"simulator: {sent} event(s) posted")

    def _out(self, line):
        self.stdout.write(line)
        self.stdout.flush()
