"""What push holds about a data subject (consumers/subjects.py): the user's devices (their tokens) and the log
rows of pushes to them, found by user and by token (a row whose device has gone still names its token)."""
from __future__ import annotations

from django.db.models import Q

from consumers.push.models import PushDevice, PushLog
from consumers.subjects import Subject, anonymise_log_rows, rows


def _log(subject: Subject):
    tokens = PushDevice.objects.filter(user_id__in=subject.user_ids).values_list("token", flat=True)
    return PushLog.objects.filter(Q(user_id__in=subject.user_ids) | Q(recipient__in=list(tokens)))


def export(subject: Subject) -> dict[str, list]:
    return {"devices": rows(PushDevice.objects.filter(user_id__in=subject.user_ids)), "log": rows(_log(subject))}


def erase(subject: Subject) -> dict[str, int]:
    anonymised = anonymise_log_rows(PushLog, _log(subject))  # before the devices go: they name the tokens
    return {"log rows anonymised": anonymised,
            "devices deleted": PushDevice.objects.filter(user_id__in=subject.user_ids).delete()[0]}
