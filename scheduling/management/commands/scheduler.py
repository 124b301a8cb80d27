import signal

from django.core.management.base import BaseCommand

from chesanto_comms.logging import ensure_console_logging
from scheduling.runner import Scheduler


class Command(BaseCommand):
    help = ("Emit the recurring schedules' events, each tick once, until SIGTERM/SIGINT. Several may run: "
            "one leads (a PostgreSQL advisory lock), the others take over within seconds if it dies "
            "(docs/scheduling.md).")

    def handle(self, *args, **options):
        ensure_console_logging()
        scheduler = Scheduler()
        signal.signal(signal.SIGTERM, scheduler.stop)
        signal.signal(signal.SIGINT, scheduler.stop)
        scheduler.run()
