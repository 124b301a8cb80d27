"""What WhatsApp holds about a data subject (consumers/subjects.py): its log, and the time the number last
wrote to the bakery (which opens WhatsApp's 24-hour window) — deleted on erasure."""
from __future__ import annotations

from consumers.subjects import Subject, anonymise_log_rows, log_rows, rows
from consumers.whatsapp.models import WhatsAppContact, WhatsAppLog


def export(subject: Subject) -> dict[str, list]:
    return {"log": rows(log_rows(WhatsAppLog, subject)),
            "contacts": rows(WhatsAppContact.objects.filter(phone_number__in=subject.numbers))}


def erase(subject: Subject) -> dict[str, int]:
    return {"log rows anonymised": anonymise_log_rows(WhatsAppLog, log_rows(WhatsAppLog, subject)),
            "contacts deleted": WhatsAppContact.objects.filter(phone_number__in=subject.numbers).delete()[0]}
