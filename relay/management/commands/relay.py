import signal

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from chesanto_comms.logging import ensure_console_logging
from chesanto_comms.publication import Publisher, publisher
from chesanto_comms.startup import refuse_to_start_unless_ready
from relay.runner import Relay


class Command(BaseCommand):
    help = ("Publish committed outbox events to Kafka until SIGTERM/SIGINT. Several relays may run at "
            "once: they divide the shards between them and keep per-key order (docs/relay.md).")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, help="largest claim (default RELAY_BATCH_SIZE)")
        parser.add_argument("--batch-min", type=int, help="smallest claim (default RELAY_BATCH_MIN)")
        parser.add_argument("--poll-interval", type=float,
                            help="seconds between claims without NOTIFY (default RELAY_POLL_INTERVAL)")
        parser.add_argument("--metrics-port", type=int, help="serve Prometheus /metrics here; 0 = off "
                            "(default RELAY_METRICS_PORT)")
        parser.add_argument("--drain", action="store_true",
                            help="exit once nothing is left to claim (retries not yet due are left)")

    def handle(self, *args, batch_size=None, batch_min=None, poll_interval=None, metrics_port=None, drain=False,
               **options):
        ensure_console_logging()
        if publisher() is Publisher.DEBEZIUM:
            raise CommandError("relay refuses to start: OUTBOX_PUBLISHER=debezium, so Debezium publishes the outbox "
                               "and a relay would publish every row a second time. To publish with the relay, stop "
                               "the connector first, then set OUTBOX_PUBLISHER=relay (README, 'Relay or Debezium').")
        try:
            refuse_to_start_unless_ready("relay")
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        for name, value in (("--batch-size", batch_size), ("--batch-min", batch_min)):
            if value is not None and value < 1:
                raise CommandError(f"{name} must be 1 or more")
        relay = Relay(batch_size=batch_size, poll_interval=poll_interval, batch_min=batch_min, drain=drain,
                      metrics_port=metrics_port)
        signal.signal(signal.SIGTERM, relay.stop)
        signal.signal(signal.SIGINT, relay.stop)
        relay.run()
