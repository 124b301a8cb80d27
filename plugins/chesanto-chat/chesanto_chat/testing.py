"""Local servers that answer as each chat service's incoming webhook does, for a host's tests and ours.

    with SlackServer() as slack:
        url = slack.url_for("stores")                 # the room's webhook URL
        slack.script("stores", Refusal(429, retry_after=2))   # the next post gets a 429, then it recovers
        ...
        (message,) = slack.wait_for_messages("stores", 1)

Each server records every request, checks it as the service would (a Slack post needs `text` or
`blocks`, a Teams post an Adaptive Card, a Google Chat post `text`, the signed webhook a valid
signature over the exact body) and answers in the service's words; a scripted Refusal answers the
next posts to a room with another status first. `messages(room)` are the posts it accepted.
"""
from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chesanto_chat import signing


@dataclass(frozen=True)
class Refusal:
    """A scripted answer for the next post(s) to a room."""

    status: int
    body: str = ""  # the service's own words when empty
    retry_after: float | None = None
    times: int = 1


@dataclass(frozen=True)
class Received:
    room: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    status: int  # what the server answered
    at: float  # time.monotonic()

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int
    body: str
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the services do
    server: "_HTTPServer"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.owner.handle(self.path, headers, body)
        payload = reply.body.encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):  # noqa: A002 - quiet: tests read `requests` instead
        pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: "WebhookServer"


class WebhookServer:
    """The shared part: a loopback HTTP server, the record of requests, scripted refusals."""

    kind = ""

    def __init__(self):
        self._server = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self.requests: list[Received] = []
        self._scripts: dict[str, deque[Refusal]] = defaultdict(deque)
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    # --- what a test uses ---------------------------------------------------------
    def __enter__(self) -> "WebhookServer":
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"{self.kind}-server", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(5)

    def url_for(self, room: str) -> str:
        raise NotImplementedError

    def script(self, room: str, *refusals: Refusal) -> None:
        with self._changed:
            for refusal in refusals:
                self._scripts[room].extend([refusal] * refusal.times)

    def to(self, room: str) -> list[Received]:
        with self._changed:
            return [r for r in self.requests if r.room == room]

    def messages(self, room: str) -> list[Received]:
        """The posts to the room the server accepted."""
        return [r for r in self.to(room) if 200 <= r.status < 300]

    def wait_for_messages(self, room: str, count: int, timeout: float = 60.0) -> list[Received]:
        """Block until `count` posts to the room were accepted; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(found := [r for r in self.requests if r.room == room and 200 <= r.status < 300]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self.kind}: {len(found)} of {count} messages to {room!r} within {timeout}s; "
                                       f"answers so far: {[r.status for r in self.requests if r.room == room]}")
                self._changed.wait(left)
            return found

    # --- a request -------------------------------------------------------------
    def handle(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        room = self.room_of(path)
        with self._changed:
            scripted = self._scripts[room].popleft() if room and self._scripts[room] else None
        if room is None:
            reply = self.not_found()
        elif scripted is not None:
            reply = Reply(scripted.status, scripted.body or self.words(scripted.status),
                          headers={"Retry-After": f"{scripted.retry_after:g}"} if scripted.retry_after else {})
        else:
            reply = self.accept(room, path, headers, body)
        with self._changed:
            self.requests.append(Received(room or "", path, headers, body, reply.status, time.monotonic()))
            self._changed.notify_all()
        return reply

    def room_of(self, path: str) -> str | None:
        raise NotImplementedError

    def accept(self, room: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        raise NotImplementedError

    def words(self, status: int) -> str:
        return {429: "rate limited", 500: "internal error", 503: "service unavailable"}.get(status, "error")

    def not_found(self) -> Reply:
        return Reply(404, "not found")


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


class SlackServer(WebhookServer):
    """https://hooks.slack.com/services/T…/B…/<secret>: 200 `ok`, or a code as the body."""

    kind = "slack"

    def url_for(self, room: str) -> str:
        return f"http://127.0.0.1:{self.port}/services/T0CHESANTO/B{room}/xoxsecret{room}"

    def room_of(self, path: str) -> str | None:
        parts = urlsplit(path).path.strip("/").split("/")
        return parts[2][1:] if len(parts) == 4 and parts[0] == "services" and parts[2].startswith("B") else None

    def accept(self, room, path, headers, body):
        payload = _json(body)
        if not isinstance(payload, dict) or not (payload.get("text") or payload.get("blocks")):
            return Reply(400, "invalid_payload")
        return Reply(200, "ok")

    def words(self, status):
        return {400: "invalid_payload", 403: "action_prohibited", 404: "no_service", 410: "channel_is_archived",
                429: "rate_limited"}.get(status, super().words(status))

    def not_found(self):
        return Reply(404, "no_service")


class TeamsServer(WebhookServer):
    """An Office 365 connector URL: 200 with the body `1` for a message carrying a card or text."""

    kind = "teams"

    def url_for(self, room: str) -> str:
        return f"http://127.0.0.1:{self.port}/webhookb2/{room}@tenant/IncomingWebhook/abc/def"

    def room_of(self, path: str) -> str | None:
        parts = urlsplit(path).path.strip("/").split("/")
        return parts[1].split("@")[0] if len(parts) >= 2 and parts[0] == "webhookb2" else None

    def accept(self, room, path, headers, body):
        payload = _json(body)
        cards = [a for a in (payload or {}).get("attachments") or []
                 if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
                 and (a.get("content") or {}).get("type") == "AdaptiveCard"] if isinstance(payload, dict) else []
        if not cards and not (isinstance(payload, dict) and payload.get("text")):
            return Reply(400, "Bad payload received by generic incoming webhook.")
        return Reply(200, "1")


class GoogleChatServer(WebhookServer):
    """/v1/spaces/<space>/messages?key=…&token=…: 200 with the created Message as JSON."""

    kind = "google_chat"

    def __init__(self):
        super().__init__()
        self._count = 0

    def url_for(self, room: str) -> str:
        return f"http://127.0.0.1:{self.port}/v1/spaces/{room}/messages?key=AIzaLocalKey&token=local-token-{room}"

    def room_of(self, path: str) -> str | None:
        parts = urlsplit(path)
        segments = parts.path.strip("/").split("/")
        query = parse_qs(parts.query)
        ok = len(segments) == 4 and segments[:2] == ["v1", "spaces"] and segments[3] == "messages"
        return segments[2] if ok and query.get("key") and query.get("token") else None

    def accept(self, room, path, headers, body):
        payload = _json(body)
        if not isinstance(payload, dict) or not (payload.get("text") or payload.get("cardsV2")):
            return self._error(400, "INVALID_ARGUMENT", "Message cannot be empty.")
        self._count += 1
        message = {"name": f"spaces/{room}/messages/local.{self._count}", "text": payload.get("text", "")}
        return Reply(200, json.dumps(message), content_type="application/json")

    @staticmethod
    def _error(code: int, status: str, message: str) -> Reply:
        return Reply(code, json.dumps({"error": {"code": code, "message": message, "status": status}}),
                     content_type="application/json")

    def words(self, status):
        return {429: '{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}',
                503: '{"error": {"code": 503, "status": "UNAVAILABLE"}}'}.get(status, super().words(status))

    def not_found(self):
        return self._error(404, "NOT_FOUND", "Requested entity was not found.")


class SignedWebhookServer(WebhookServer):
    """A receiver of the generic webhook: /hooks/<room>, verifying each signature with the room's secret
    (401 when it does not verify, as a receiver should)."""

    kind = "webhook"

    def __init__(self, secrets: dict[str, str] | None = None):
        super().__init__()
        self.secrets = dict(secrets or {})

    def url_for(self, room: str) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{room}"

    def room_of(self, path: str) -> str | None:
        parts = urlsplit(path).path.strip("/").split("/")
        return parts[1] if len(parts) == 2 and parts[0] == "hooks" else None

    def accept(self, room, path, headers, body):
        try:
            signing.verify(self.secrets.get(room, ""), headers.get(signing.TIMESTAMP.lower()),
                           headers.get(signing.SIGNATURE.lower()), body)
        except signing.BadSignature as exc:
            return Reply(401, json.dumps({"error": str(exc)}), content_type="application/json")
        return Reply(200, json.dumps({"received": True}), content_type="application/json")
