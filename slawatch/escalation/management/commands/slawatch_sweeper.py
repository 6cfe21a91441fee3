"""`python manage.py slawatch_sweeper`: the long-running sweeper process.

Sweeps at each handoff's due time and sends the escalations in this process
(slawatch/escalation/sweeper.py). SIGTERM or Ctrl-C stops it after the sends in flight.
Safe to run more than one (every claim is conditional)."""

import signal

from django.core.management.base import BaseCommand

from slawatch.escalation.sweeper import Sweeper


class Command(BaseCommand):
    help = "Sweep due handoffs at their due time and send the escalations from this process."

    def add_arguments(self, parser):
        parser.add_argument("--senders", type=int, default=None,
                            help="sending threads (default SLAWATCH_SWEEPER_SENDERS)")
        parser.add_argument("--max-sleep", type=float, default=None,
                            help="longest sleep in seconds (default "
                                 "SLAWATCH_SWEEPER_MAX_SLEEP_SECONDS)")

    def handle(self, *args, senders=None, max_sleep=None, **options):
        sweeper = Sweeper(senders=senders, max_sleep=max_sleep)

        def on_signal(signum, frame):
            self.stdout.write(f"{signal.strsignal(signum)}, finishing the sends in flight")
            sweeper.stop()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.stdout.write(f"slawatch_sweeper running: {sweeper.max_sleep:g} s longest sleep")
        sweeper.run()
        self.stdout.write(f"slawatch_sweeper stopped: claimed={sweeper.swept} "
                          f"sent={sweeper.sent}")
