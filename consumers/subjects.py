"""A data subject's request (Kenya's Data Protection Act 2019, ss. 26 and 40): everything held about one
recipient, exported or erased. `manage.py comms_subject export|erase <email|phone|user>` is the way in.

A subject is named by an email address, a phone number or a user (`user:<pk>` or a username); a user brings
their account's address, and an address brings the users whose account has it, so one request finds what the
bakery holds about the person under any of the names it sends to.

What is held, and what erasure does with it (docs/recipients.md, "Data-subject requests"):

- each channel's delivery log rows: exported whole; on erasure *anonymised*, not deleted — the recipient
  becomes `erased-<random>` and the message's words (subject, body, context, error text) are emptied, while the
  template, status, times, provider ids and the SMS cost stay: they are the business's record of what it paid
  providers for (Kenya's Tax Procedures Act keeps such records five years) and of its delivery statistics,
  and name no one;
- a channel's own tables (the inbox's items, push devices, WhatsApp contacts): through the channel app's
  `personal_data` module (`export(subject)`, `erase(subject)`), which deletes what is the person's own;
- preferences and their history (the consent record): deleted — with no one to send to there is nothing to
  consent to, and the record of a withdrawn consent is kept where it matters, as a suppression;
- suppressions: lifted ones deleted; *active ones kept*, address and reason: an objection ("never send to
  this address", a hard bounce) can only be honoured by recognising the address, which the Act allows
  (s. 26(d), s. 36: the right to object) — this is the one piece of personal data erasure keeps;
- the recipient's profile (time zone, quiet hours, language): deleted; messages quiet hours hold for them (never
  critical or transactional ones): deleted, their log rows anonymised as the others;
- events scheduled for later (`emit(deliver_at=…)`) naming the subject: cancelled; a recurring schedule whose
  audience names them is reported, not edited (staff own it);
- dead letters and outbox events whose record mentions the subject: deleted; an outbox event not yet
  published is left (deleting it would lose a message the business still owes) and reported, so that the
  operator runs `erase` again once it has gone. Records already in Kafka expire with the topic's retention.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import import_module

from django.contrib.auth import get_user_model
from django.core import serializers
from django.db import models, transaction
from django.db.models import BooleanField, Q, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat, Left, MD5, Random

from consumers.consent import address_key
from consumers.models import ConsentChange, DeadLetter, HeldMessage, RecipientProfile, Suppression
from outbox.models import OutboxEvent, ScheduledEvent

ERASED_PREFIX = "erased-"


class SubjectError(ValueError):
    """A name that identifies no one the system could hold data about; the message says why."""


@dataclass(frozen=True)
class Subject:
    """One person under every name the system sends to."""

    named_as: str
    addresses: frozenset[str] = frozenset()  # lower case
    numbers: frozenset[str] = frozenset()  # E.164
    user_ids: frozenset[int] = frozenset()

    @property
    def recipients(self) -> frozenset[str]:
        """As a channel's log names them: an address, a number, a user's id."""
        return self.addresses | self.numbers | {str(pk) for pk in self.user_ids}

    @property
    def consent_keys(self) -> frozenset[str]:
        """As consumers/consent.py names them."""
        return self.addresses | self.numbers | {f"user:{pk}" for pk in self.user_ids}

    def recipient_q(self, model: type[models.Model], field_name: str) -> Q:
        """Rows of `model` whose `field_name` names the subject: a user's id in a relation or a number column,
        else an address (without regard to case) or a number."""
        model_field = model._meta.get_field(field_name.removesuffix("_id"))
        if model_field.is_relation or model_field.get_internal_type().endswith("IntegerField"):
            return Q(**{f"{field_name}__in": sorted(self.user_ids)})
        q = Q(**{f"{field_name}__in": sorted(self.numbers)})
        for address in self.addresses:
            q |= Q(**{f"{field_name}__iexact": address})
        return q

    @property
    def mentions(self) -> list[str]:
        """The strings that mention the subject inside a stored record (an event's payload, a dead letter)."""
        return sorted(self.addresses | self.numbers)


def find(name: str) -> Subject:
    """The subject `name` names: an email address, a phone number, `user:<pk>` or a username."""
    from outbox.events.phones import e164

    text = (name or "").strip()
    if not text:
        raise SubjectError("name a subject: an email address, a phone number, user:<id> or a username")
    users = get_user_model()._default_manager
    found_users: list = []
    addresses: set[str] = set()
    numbers: set[str] = set()
    if text.startswith("user:"):
        pk = text.removeprefix("user:")
        user = users.filter(pk=pk).first() if pk.isdigit() else None
        if user is None:
            raise SubjectError(f"{text!r}: no user has id {pk!r}")
        found_users.append(user)
    elif "@" in text:
        addresses.add(address_key(text))
        found_users.extend(users.filter(email__iexact=text))
    else:
        try:
            numbers.add(e164(text))
        except ValueError:
            user = users.filter(**{get_user_model().USERNAME_FIELD: text}).first()
            if user is None:
                raise SubjectError(f"{text!r} is not an email address, a phone number in international form "
                                   f"(+2547…) or the username of a user") from None
            found_users.append(user)
    for user in found_users:
        if getattr(user, "email", ""):
            addresses.add(address_key(user.email))
    return Subject(text, frozenset(addresses), frozenset(numbers), frozenset(user.pk for user in found_users))


# --- what a channel app holds: its log rows, and what its `personal_data` module adds ----------------
def rows(queryset: Iterable[models.Model]) -> list[dict]:
    """Rows as plain dictionaries (the model, the primary key, each field), for JSON."""
    return [{"model": row["model"], "pk": row["pk"], **row["fields"]}
            for row in serializers.serialize("python", queryset)]


def log_rows(log_model, subject: Subject):
    """The subject's rows of a channel's log: those its recipient column names."""
    return log_model._default_manager.filter(subject.recipient_q(log_model, log_model.RECIPIENT_FIELD))


def anonymise_log_rows(log_model, queryset) -> int:
    """Rows keep what they say about delivery; the recipient becomes `erased-<random>` (one per row, so nothing
    links them) and the fields the log names in PERSONAL_FIELDS are emptied."""
    changes: dict = {log_model.RECIPIENT_FIELD: Concat(models.Value(ERASED_PREFIX),
                                                       Left(MD5(Cast(Random(), TextField())), 12))}
    for name in log_model.PERSONAL_FIELDS:
        model_field = log_model._meta.get_field(name)
        changes[model_field.attname] = None if model_field.null else ""
    return queryset.update(**changes)


class ChannelPart:
    """What one channel holds about a subject. By default its delivery log, found by the recipient column and
    anonymised; a channel app with a `personal_data` module (`export(subject) -> dict[str, list]`,
    `erase(subject) -> dict[str, int]`) decides for itself (the inbox deletes its items, push finds its log
    through the user's devices and deletes them)."""

    def __init__(self, app, log_model):
        dotted = app.submodule("personal_data")
        self.module = import_module(dotted) if dotted else None
        self.log_model = log_model

    def export(self, subject: Subject) -> dict[str, list]:
        if self.module is not None:
            return self.module.export(subject)
        return {"log": rows(log_rows(self.log_model, subject))} if self.log_model else {}

    def erase(self, subject: Subject) -> dict[str, int]:
        if self.module is not None:
            return self.module.erase(subject)
        if self.log_model is None:
            return {}
        return {"log rows anonymised": anonymise_log_rows(self.log_model, log_rows(self.log_model, subject))}


def _channel_parts() -> dict[str, ChannelPart]:
    from consumers.channels import installed, log_models

    logs = log_models()
    return {name: ChannelPart(app, logs.get(name)) for name, app in installed().items()}


# --- the request ------------------------------------------------------------------------------------
def _mentioning(model, subject: Subject, field_name: str = "payload"):
    """Rows of `model` whose JSON `field_name` mentions the subject (an address, a number)."""
    if not subject.mentions:
        return model.objects.none()
    text = model.objects.annotate(mention_text=Cast(field_name, TextField()))
    q = Q()
    for mention in subject.mentions:
        q |= Q(mention_text__icontains=mention)
    return model.objects.filter(pk__in=text.filter(q).values("pk"))


def _mentioning_events(subject: Subject):
    return _mentioning(OutboxEvent, subject)


def _schedules_naming(subject: Subject) -> list:
    """Recurring schedules (the `scheduling` app, when installed) whose audience or payload names the subject."""
    from django.apps import apps

    if not apps.is_installed("scheduling"):
        return []
    schedule = apps.get_model("scheduling", "Schedule")
    return list((_mentioning(schedule, subject, "audience") | _mentioning(schedule, subject, "payload")).distinct())


def _held(subject: Subject):
    """Messages quiet hours hold for the subject (and copies of those already released)."""
    return HeldMessage.objects.filter(recipient_key__in=subject.consent_keys)


def _mentioning_dead_letters(subject: Subject):
    if not subject.mentions:
        return DeadLetter.objects.none()
    ids: set[int] = set()
    for mention in subject.mentions:
        for variant in {mention, mention.lower(), mention.upper()}:
            found = RawSQL("position(convert_to(%s, 'UTF8') in value) > 0", [variant], output_field=BooleanField())
            ids.update(DeadLetter.objects.annotate(found=found).filter(found=True).values_list("pk", flat=True))
    return DeadLetter.objects.filter(pk__in=ids)


def export(subject: Subject) -> dict:
    """Everything held about `subject`, as JSON-ready dictionaries, by where it is held."""
    channels = {name: part.export(subject) for name, part in _channel_parts().items()}
    letters = list(_mentioning_dead_letters(subject).order_by("pk"))
    dead_letters = [{**row, "key": None, "value": bytes(letter.value or b"").decode("utf-8", "replace"),
                     "raw_headers": None} for row, letter in zip(rows(letters), letters)]
    return {
        "subject": {"named_as": subject.named_as, "addresses": sorted(subject.addresses),
                    "numbers": sorted(subject.numbers), "user_ids": sorted(subject.user_ids)},
        "preferences_history": rows(ConsentChange.objects.filter(recipient__in=subject.consent_keys)),
        "profiles": rows(RecipientProfile.objects.filter(key__in=subject.consent_keys)),
        "held_messages": rows(_held(subject)),
        "suppressions": rows(Suppression.objects.filter(Q(address__in=subject.addresses | subject.numbers))),
        "channels": channels,
        "outbox_events": rows(_mentioning_events(subject)),
        "scheduled_events": rows(_mentioning(ScheduledEvent, subject)),
        "schedules": rows(_schedules_naming(subject)),
        "dead_letters": dead_letters,
    }


@dataclass
class Erasure:
    """What an erasure did: counts by what, and what it had to leave."""

    counts: dict[str, int] = field(default_factory=dict)
    left: list[str] = field(default_factory=list)


def erase(subject: Subject) -> Erasure:
    """Remove or anonymise what is held about `subject` (the module's docstring says which and why); one
    transaction, so an erasure is whole or not at all."""
    done = Erasure()
    with transaction.atomic():
        for name, part in _channel_parts().items():
            for what, count in part.erase(subject).items():
                done.counts[f"{name} {what}"] = count
        done.counts["preference changes deleted"] = ConsentChange.objects.filter(
            recipient__in=subject.consent_keys).delete()[0]
        done.counts["profiles deleted"] = RecipientProfile.objects.filter(key__in=subject.consent_keys).delete()[0]
        done.counts["held messages deleted"] = _held(subject).delete()[0]
        suppressions = Suppression.objects.filter(address__in=subject.addresses | subject.numbers)
        done.counts["lifted suppressions deleted"] = suppressions.filter(lifted_at__isnull=False).delete()[0]
        kept = suppressions.filter(lifted_at__isnull=True).count()
        if kept:
            done.left.append(f"{kept} active suppression(s) kept, so that the objection or the undeliverable address "
                             f"stays honoured (docs/recipients.md)")
        done.counts["dead letters deleted"] = _mentioning_dead_letters(subject).delete()[0]
        done.counts["scheduled events cancelled"] = _mentioning(ScheduledEvent, subject).delete()[0]
        for schedule in _schedules_naming(subject):
            done.left.append(f"the recurring schedule {schedule.name!r} names them in its audience or payload: staff "
                             f"remove them there (the admin's Schedules), so that its next tick does not")
        events = _mentioning_events(subject)
        done.counts["published outbox events deleted"] = events.filter(published_at__isnull=False).delete()[0]
        unpublished = events.filter(published_at__isnull=True).count()
        if unpublished:
            done.left.append(f"{unpublished} outbox event(s) not yet published, left so that no owed message is lost: "
                             f"run erase again once the relay has published them")
    return done
