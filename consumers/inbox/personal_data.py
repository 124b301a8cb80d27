"""What the inbox holds about a data subject (consumers/subjects.py): the user's items, which are both the
log and the messages themselves, so erasure deletes them rather than keep words no one may read."""
from __future__ import annotations

from consumers.inbox.models import InboxItem
from consumers.subjects import Subject, rows


def export(subject: Subject) -> dict[str, list]:
    return {"items": rows(InboxItem.objects.filter(user_id__in=subject.user_ids))}


def erase(subject: Subject) -> dict[str, int]:
    return {"items deleted": InboxItem.objects.filter(user_id__in=subject.user_ids).delete()[0]}
