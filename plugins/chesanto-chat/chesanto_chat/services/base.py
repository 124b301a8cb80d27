"""What every chat service does with one message, in one fixed sequence:

    build its payload (`payload`) → its headers (`headers`: the generic webhook signs here)
    → POST it to the room's URL → read the answer (`verdict`: None is sent, else a Verdict)
    → Sent, or TransientError (with the Retry-After the service sent) or PermanentError.

A service supplies `payload` and `verdict`; the HTTP mechanics are here. The room's URL is a
credential: no error, log line or row ever quotes it (only `masked_url`).
"""
from __future__ import annotations

import email.utils
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import requests

from chesanto_chat.compose import ChatMessage
from chesanto_chat.rooms import Room, masked_url
from consumers.providers import PermanentError, Sent, TransientError

ANSWER_SHOWN = 200  # characters of a refusal's body kept in the error (services answer with a short code)


class Action(Enum):
    RETRY = "retry"  # TransientError, after the service's Retry-After if it sent one
    FAIL = "fail"  # PermanentError with the verdict's status


@dataclass(frozen=True)
class Verdict:
    action: Action
    status: str  # the ChatLog status when not retried
    meaning: str


def retry(meaning: str) -> Verdict:
    return Verdict(Action.RETRY, "FAILED", meaning)


def fail(meaning: str) -> Verdict:
    """The message is wrong (a bug in a template or a payload): fixing the room will not help."""
    return Verdict(Action.FAIL, "FAILED", meaning)


def reject(meaning: str) -> Verdict:
    """The room refuses everything (its webhook was removed, the channel archived): fix CHAT_ROOMS."""
    return Verdict(Action.FAIL, "REJECTED", meaning)


def http_verdict(status: int) -> Verdict | None:
    """What the HTTP status alone says, for a service without its own word: None is sent."""
    if 200 <= status < 300:
        return None
    if status in (408, 425, 429) or status >= 500:
        return retry("the service is busy or failing")
    if status in (401, 403, 404, 410):
        return reject("the service does not know or no longer accepts this webhook: make a new one and update "
                      "CHAT_ROOMS")
    return fail("the service refused the message")


@dataclass(frozen=True)
class Answer:
    """A service's HTTP answer, as the verdicts read it."""

    status: int
    body: str
    headers: Mapping[str, str]  # names lower-cased

    @classmethod
    def of(cls, response: requests.Response) -> "Answer":
        return cls(response.status_code, response.text, {k.lower(): v for k, v in response.headers.items()})

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def shown(self) -> str:
        return " ".join(self.body.split())[:ANSWER_SHOWN] or "(empty body)"


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After in seconds: delta-seconds or an HTTP date (RFC 9110); None if absent or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - (time.time() if now is None else now), 0.0)


class ChatService(ABC):
    name: str  # the log's `provider`

    @abstractmethod
    def payload(self, message: ChatMessage, room: Room) -> dict[str, Any]:
        """The JSON body the service takes."""

    @abstractmethod
    def verdict(self, answer: Answer) -> Verdict | None:
        """None when the service took the message; else what to do."""

    def headers(self, room: Room, message: ChatMessage, body: bytes, now: float) -> dict[str, str]:
        return {"Content-Type": "application/json; charset=utf-8"}

    def sent(self, answer: Answer) -> Sent:
        return Sent(provider=self.name)

    def body(self, message: ChatMessage, room: Room) -> bytes:
        return json.dumps(self.payload(message, room), ensure_ascii=False, separators=(",", ":")).encode()

    def send(self, session: requests.Session, room: Room, message: ChatMessage, timeout: float) -> Sent:
        body = self.body(message, room)
        try:
            # The timeout bounds the connect and each read, so a stalled service cannot hold the consumer
            # past Kafka's max.poll.interval.ms.
            response = session.post(room.url, data=body, headers=self.headers(room, message, body, time.time()),
                                    timeout=timeout, allow_redirects=False)
        except requests.Timeout as exc:
            # It may have posted: a retry can show the message twice, which beats losing an alert.
            raise TransientError(f"{self.name} {masked_url(room.url)}: no answer within {timeout}s "
                                 f"({type(exc).__name__})") from None
        except requests.RequestException as exc:
            session.close()  # drop a connection that broke; the next call opens a new one
            # requests' own message quotes the URL's path, which is the credential: only the class is kept.
            raise TransientError(f"{self.name} {masked_url(room.url)}: {type(exc).__name__}") from None
        return self.classify(Answer.of(response), room)

    def classify(self, answer: Answer, room: Room) -> Sent:
        verdict = self.verdict(answer)
        if verdict is None:
            return self.sent(answer)
        detail = f"{self.name} HTTP {answer.status}: {answer.shown} ({verdict.meaning})"
        if verdict.action is Action.RETRY:
            raise TransientError(detail, retry_after=retry_after(answer.headers.get("retry-after")))
        raise PermanentError(detail, status=verdict.status)
