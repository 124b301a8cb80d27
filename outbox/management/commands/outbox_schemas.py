"""Export the event catalogue's schemas: one JSON Schema per event type, with its category and key."""
from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from outbox.events import event_types


class Command(BaseCommand):
    help = ("Print every event type's JSON Schema (with x-chesanto-category, -key and -version) as one JSON object "
            "by event type, or write one <event type>.json per type into --output.")

    def add_arguments(self, parser):
        parser.add_argument("--output", help="a directory to write <event type>.json files into")

    def handle(self, *args, output=None, **options):
        schemas = {name: schema.json_schema() for name, schema in sorted(event_types().items())}
        if not output:
            self.stdout.write(json.dumps(schemas, indent=2, sort_keys=True))
            return
        directory = Path(output)
        directory.mkdir(parents=True, exist_ok=True)
        for name, schema in schemas.items():
            (directory / f"{name}.json").write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        self.stdout.write(f"wrote {len(schemas)} schemas to {directory}")
