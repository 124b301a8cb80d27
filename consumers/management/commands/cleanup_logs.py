from django.core.management.base import BaseCommand, CommandError

from consumers.channels import UnknownChannel, channel_class, names
from consumers.retention import DEFAULT_BATCH, delete_older_than


class Command(BaseCommand):
    help = "Delete a channel's delivery-log rows older than its <CHANNEL>_LOG_RETENTION_DAYS (1 year by default), in batches."
    channel = None  # set by the seed's per-channel commands (cleanup_email_logs, cleanup_sms_logs)

    def add_arguments(self, parser):
        if self.channel is None:
            parser.add_argument("channel", help=f"one of: {', '.join(names())}")
        parser.add_argument("--days", type=int, help="keep this many days (default <CHANNEL>_LOG_RETENTION_DAYS)")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, help="rows per DELETE")

    def handle(self, *args, channel=None, days=None, batch_size=DEFAULT_BATCH, **options):
        name = self.channel or channel
        try:
            channel = channel_class(name)()
        except UnknownChannel as exc:
            raise CommandError(str(exc)) from None
        model = getattr(channel, "log_model", None)
        if model is None:
            raise CommandError(f"the {name} channel keeps no delivery log")
        days = days if days is not None else channel.delivery.log_retention_days
        try:
            deleted = delete_older_than(model, days, batch_size)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} old {channel.label} logs"))
