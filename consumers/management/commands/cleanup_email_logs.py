from django.core.management.base import BaseCommand, CommandError

from chesanto_comms.conf import declared
from consumers.models import EmailLog
from consumers.retention import DEFAULT_BATCH, delete_older_than


class Command(BaseCommand):
    help = "Clean up email logs older than EMAIL_LOG_RETENTION_DAYS (1 year by default), in batches."
    model = EmailLog
    setting = "EMAIL_LOG_RETENTION_DAYS"
    noun = "email logs"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help=f"keep this many days (default {self.setting})")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, help="rows per DELETE")

    def handle(self, *args, days=None, batch_size=DEFAULT_BATCH, **options):
        days = days if days is not None else declared()[self.setting].resolve()
        try:
            deleted = delete_older_than(self.model, days, batch_size)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} old {self.noun}"))
