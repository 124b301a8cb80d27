from confluent_kafka import KafkaException
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from chesanto_comms.logging import ensure_console_logging
from chesanto_comms.startup import refuse_to_start_unless_ready
from consumers.channels import names
from consumers.replay import Replay, ReplayError, ReplayRequest, Reporter, Summary, parse_moment, parse_offsets


class ProgressReporter(Reporter):
    """A rich progress bar of records read and sent; lines print above it. Off when not a terminal."""

    def __init__(self, stream):
        self.console = Console(file=stream, soft_wrap=True, markup=False, highlight=False)
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("sent {task.fields[sent]}  skipped {task.fields[skipped]}  failed {task.fields[failed]}"),
            TimeElapsedColumn(), console=self.console, transient=not self.console.is_terminal,
        )
        self.task = None

    def started(self, replay, ranges):
        self.say(f"replaying {replay.request.channel} in group {replay.group_id} "
                 f"(never committed), up to {replay.until.isoformat(timespec='milliseconds')}")
        total = sum(max(r.end - r.start, 0) for r in ranges)  # an estimate: a range may stop early or run on
        topics = sorted({r.topic for r in ranges})
        self.say(f"reading {len(ranges)} partitions of {', '.join(topics) or 'no topic'}: about {total} records")
        self.task = self.progress.add_task("read", total=total or None, sent=0, skipped=0, failed=0)
        self.progress.start()

    def fetched(self, summary: Summary):
        self.progress.update(self.task, advance=1, sent=summary.sent or summary.would_send,
                             skipped=summary.skipped, failed=summary.failed)

    def say(self, line: str):
        self.console.print(line)

    def finished(self, summary: Summary):
        self.progress.stop()
        if summary.outside:
            self.say(f"({summary.outside} records fetched outside the time range were left alone)")


class Command(BaseCommand):
    help = ("Re-read a channel's topics over a time range in a separate, never-committed consumer group "
            "and deliver what the delivery log says was never delivered (all of it with --resend).")

    def add_arguments(self, parser):
        parser.add_argument("--channel", required=True, help=f"one of: {', '.join(names())}")
        parser.add_argument("--since", help="ISO 8601 time; records from then (by their Kafka timestamp)")
        parser.add_argument("--until", help="ISO 8601 time; records up to then (default: now)")
        parser.add_argument("--topic", action="append", dest="topics", default=[],
                            help="read only this topic of the channel (repeatable; default: its domain topics)")
        parser.add_argument("--from-offsets", action="append", default=[],
                            help="start at these positions instead: topic:partition:offset,… (only those partitions)")
        parser.add_argument("--dry-run", action="store_true", help="list what would be sent; send and change nothing")
        parser.add_argument("--resend", action="store_true",
                            help="send again even what was delivered (the log row goes back to PENDING first)")

    def handle(self, *args, channel, since=None, until=None, topics=(), from_offsets=(), dry_run=False,
               resend=False, **options):
        ensure_console_logging()
        try:
            refuse_to_start_unless_ready("replay")
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        stream = getattr(self.stdout, "_out", self.stdout)  # rich writes its own line endings
        try:
            request = ReplayRequest(
                channel=channel,
                since=parse_moment(since, "--since") if since else None,
                until=parse_moment(until, "--until") if until else None,
                topics=tuple(topics),
                from_offsets=tuple(p for spec in from_offsets for p in parse_offsets(spec)),
                dry_run=dry_run, resend=resend,
            )
            summary = Replay(request, ProgressReporter(stream)).run()
        except ReplayError as exc:
            raise CommandError(str(exc)) from None
        except KafkaException as exc:
            raise CommandError(f"Kafka: {exc.args[0]}") from None
        self.stdout.write(summary.line())
