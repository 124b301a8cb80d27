import signal

from django.core.management.base import BaseCommand

from relay.runner import Relay


class Command(BaseCommand):
    help = "Publish committed outbox events to Kafka until SIGTERM/SIGINT."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, help="rows per claim (default RELAY_BATCH_SIZE)")
        parser.add_argument("--poll-interval", type=float, help="seconds between polls without NOTIFY (default RELAY_POLL_INTERVAL)")

    def handle(self, *args, batch_size=None, poll_interval=None, **options):
        relay = Relay(batch_size=batch_size, poll_interval=poll_interval)
        signal.signal(signal.SIGTERM, relay.stop)
        signal.signal(signal.SIGINT, relay.stop)
        relay.run()
