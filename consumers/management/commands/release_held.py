from django.core.management.base import BaseCommand, CommandError

from consumers.channels import get_channel, log_models
from consumers.holds import release_due


class Command(BaseCommand):
    help = ("Deliver the messages quiet hours held whose time has come, now (consumers/holds.py). The channel "
            "consumers do this by themselves every COMMS_QUIET_HOURS_RELEASE_INTERVAL seconds; this is for eager "
            "mode (a host's tests) and for an operator without a consumer running. Safe beside running consumers.")

    def add_arguments(self, parser):
        parser.add_argument("channels", nargs="*", help="channels to release (default: every channel with a log)")

    def handle(self, *args, channels, **options):
        known = log_models()
        if unknown := [name for name in channels if name not in known]:
            raise CommandError(f"{', '.join(unknown)}: not a channel with a delivery log; use one of {', '.join(known)}")
        for name in channels or known:
            channel = get_channel(name)
            try:
                released = total = release_due(channel)
                while released:
                    released = release_due(channel)
                    total += released
            finally:
                channel.close()
            self.stdout.write(f"{name}: {total} held messages released")
