from django.core.management import call_command
from django.core.management.base import BaseCommand

from consumers.channels import log_models
from consumers.webhooks.replay import purge_expired


class Command(BaseCommand):
    help = ("The whole retention schedule in one command, for cron (e.g. `0 3 * * * python manage.py cleanup`): "
            "every channel's logs past its <CHANNEL>_LOG_RETENTION_DAYS, published outbox rows past "
            "OUTBOX_RETENTION_HOURS (every row, with OUTBOX_PUBLISHER=debezium), webhook receipts past WEBHOOK_REPLAY_WINDOW_DAYS. Each in small batches.")

    def handle(self, *args, **options):
        for channel in log_models():
            call_command("cleanup_logs", channel, stdout=self.stdout)
        call_command("outbox_purge", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Deleted {purge_expired()} expired webhook receipts"))
