import signal

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from chesanto_comms.logging import ensure_console_logging
from chesanto_comms.startup import name_database_connections, refuse_to_start_unless_ready
from consumers.channels import UnknownChannel, names
from consumers.loop import ChannelConsumer


class Command(BaseCommand):
    help = "Consume a channel's topics and deliver its messages until SIGTERM/SIGINT."

    def add_arguments(self, parser):
        parser.add_argument("channel", help=f"one of: {', '.join(names())}")
        parser.add_argument("--group-id", help="consumer group (default CONSUMER_GROUP_PREFIX + channel)")
        parser.add_argument("--concurrency", type=int, help="sends in flight (default <CHANNEL>_CONCURRENCY)")
        parser.add_argument("--metrics-port", type=int, help="serve Prometheus /metrics and /healthz here; 0 = off "
                            "(default CONSUMER_METRICS_PORT)")

    def handle(self, *args, channel, group_id=None, concurrency=None, metrics_port=None, **options):
        ensure_console_logging()
        try:
            refuse_to_start_unless_ready("consume")
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        if concurrency is not None and concurrency < 1:
            raise CommandError("--concurrency must be 1 or more")
        try:
            consumer = ChannelConsumer(channel, group_id=group_id, concurrency=concurrency, metrics_port=metrics_port)
            consumer.channel.check()
        except (UnknownChannel, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from None
        name_database_connections(f"consume {channel}")
        signal.signal(signal.SIGTERM, consumer.stop)
        signal.signal(signal.SIGINT, consumer.stop)
        consumer.run()
