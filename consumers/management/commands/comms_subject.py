"""A data subject's request: `comms_subject export <who>` writes everything held about them as JSON;
`comms_subject erase <who>` removes or anonymises it (consumers/subjects.py says what and why)."""
from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from consumers import subjects


class Command(BaseCommand):
    help = ("Answer a data subject's request (Kenya's Data Protection Act 2019). `export <who>` prints (or writes "
            "with --output) everything held about a recipient as JSON: delivery logs, preferences and their "
            "history, suppressions, inbox items, device tokens, outbox events and dead letters naming them. "
            "`erase <who>` deletes or anonymises it, keeping only active suppressions (so an objection stays "
            "honoured) and anonymised delivery rows (the record of what providers were paid). <who> is an email "
            "address, a phone number, user:<id> or a username.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "erase"])
        parser.add_argument("who", help="an email address, a phone number (+2547…), user:<id> or a username")
        parser.add_argument("--output", help="export: a file to write the JSON to (default: standard output)")
        parser.add_argument("--yes", action="store_true", help="erase: do not ask for confirmation")

    def handle(self, *args, action, who, output=None, yes=False, **options):
        try:
            subject = subjects.find(who)
        except subjects.SubjectError as exc:
            raise CommandError(str(exc)) from None
        if action == "export":
            text = json.dumps(subjects.export(subject), cls=DjangoJSONEncoder, indent=2, sort_keys=True)
            if output:
                Path(output).write_text(text + "\n", encoding="utf-8")
                self.stderr.write(f"wrote everything held about {who} to {output}")
            else:
                self.stdout.write(text)
            return
        names = ", ".join(sorted(subject.addresses | subject.numbers) + [f"user:{pk}" for pk in sorted(subject.user_ids)])
        if not yes and input(f"Erase what is held about {names}? This cannot be undone. [y/N] ").strip().lower() != "y":
            raise CommandError("nothing erased")
        done = subjects.erase(subject)
        for what, count in done.counts.items():
            self.stdout.write(f"{what}: {count}")
        for note in done.left:
            self.stdout.write(self.style.WARNING(f"left: {note}"))
        self.stdout.write(self.style.SUCCESS(f"erased what is held about {names}"))
