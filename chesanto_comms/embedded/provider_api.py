"""The part every local provider API server shares (the SMS APIs, an ESP): a
ThreadingHTTPServer on a free loopback port that parses form or JSON posts, records each
request, keeps connections alive (HTTP/1.1) like the real APIs, and answers per
recipient from a script.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from chesanto_comms.embedded.ports import free_port


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    form: dict  # the form fields, or the JSON object of a JSON post
    client_port: int  # the same port for requests that reused one connection
    status: int  # what the server answered
    answer: str = ""  # the body it answered with


@dataclass(frozen=True)
class Outcome:
    """What the server answers for one recipient number."""

    code: int | None = None  # the provider's own status / error code for this number
    http_status: int | None = None  # an HTTP-level answer instead (429, 500, ...)
    delay: float = 0.0  # seconds to wait before answering (a slow provider)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the providers' APIs do
    server: "_Server"

    def do_POST(self):
        self._handle()

    def do_GET(self):
        self._handle()

    def _handle(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        form = {}
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
        elif headers.get("content-type", "").startswith("application/json"):
            try:
                form = json.loads(raw or b"{}")
            except ValueError:
                form = {"(unparsable JSON)": raw.decode("utf-8", "replace")}
        api = self.server.api
        reply = api.answer(self.command, self.path, headers, form)
        api.record(RecordedRequest(self.command, self.path, headers, form, self.client_address[1], reply.status,
                                   reply.body.decode("utf-8", "replace")))
        if reply.delay or api.delay:
            time.sleep(reply.delay or api.delay)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout) before the slow answer came

    def log_message(self, format, *args):  # noqa: A002 - quiet; requests are recorded instead
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler sleeping for a slow-provider test never blocks stop()
    # socketserver's default backlog of 5 resets connections when several consumers, each with its
    # senders, connect at once (as a real provider's front end never would)
    request_queue_size = 128
    api: "ProviderApiServer"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.open_connections: set[socket.socket] = set()

    def process_request(self, request, client_address):
        self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        self.open_connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End kept-alive connections too, so nothing answers once the server is stopped."""
        for sock in list(self.open_connections):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class ProviderApiServer:
    """Base of the local provider servers. Subclasses supply `answer`, `recipients` and `builtin_outcome`."""

    def __init__(self, *, api_key: str, username: str, port: int | None = None, delay: float = 0.0,
                 outcomes: dict[str, Outcome] | None = None):
        self.api_key, self.username = api_key, username
        self.port = port or free_port()
        self.delay = delay
        self.outcomes = dict(outcomes or {})
        # Asked first, for every number: a fault a test switches on for a while (a 503 burst, a hang); None: none now
        self.fault: Callable[[str], Outcome | None] | None = None
        self.requests: list[RecordedRequest] = []
        self._changed = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- scripting --------------------------------------------------------------
    def script(self, number: str, outcome: Outcome) -> None:
        self.outcomes[number] = outcome

    def outcome_for(self, number: str) -> Outcome:
        if self.fault is not None and (fault := self.fault(number)) is not None:
            return fault
        return self.outcomes.get(number) or self.builtin_outcome(number)

    def builtin_outcome(self, number: str) -> Outcome:
        return Outcome()

    # --- what a subclass answers --------------------------------------------------
    def answer(self, method: str, path: str, headers: dict[str, str], form: dict[str, str]) -> Reply:
        raise NotImplementedError(f"{type(self).__name__} must define answer()")

    def recipients(self, request: RecordedRequest) -> list[str]:
        raise NotImplementedError(f"{type(self).__name__} must define recipients()")

    # --- what was received ----------------------------------------------------------
    def record(self, request: RecordedRequest) -> None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    def to(self, number: str) -> list[RecordedRequest]:
        return [r for r in list(self.requests) if number in self.recipients(r)]

    @property
    def connections(self) -> set[int]:
        return {r.client_port for r in self.requests}

    def wait_for(self, predicate: Callable[[list[RecordedRequest]], bool], timeout: float = 30.0) -> list[RecordedRequest]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.requests):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{type(self).__name__}: condition not met after {timeout}s ({len(self.requests)} requests)")
                self._changed.wait(remaining)
            return list(self.requests)

    # --- lifecycle --------------------------------------------------------------------
    def start(self) -> "ProviderApiServer":
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.api = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=type(self).__name__, daemon=True)  # short poll: stop() is prompt
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self) -> "ProviderApiServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
