"""A plain HTTP client of a server-sent-events stream, as a test reads one."""
from __future__ import annotations

import time

import requests


class EventStream:
    """A plain HTTP client reading server-sent events (requests, one byte at a time: no buffering delay)."""

    def __init__(self, url: str, session_id: str, last_event_id: int | None = None):
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.response = requests.get(url, cookies={"sessionid": session_id}, headers=headers, stream=True,
                                     timeout=(5, 10))
        self.lines = self.response.iter_lines(chunk_size=1, decode_unicode=True)

    def next(self) -> dict:
        """The next event or comment: {"comment": …}, {"retry": …} or {"id", "event", "data"}."""
        fields: dict = {}
        for line in self.lines:
            if line == "":
                if fields:
                    return fields
                continue
            name, _, value = line.partition(":")
            if name == "":
                return {"comment": value.strip()}
            fields[name] = value[1:] if value.startswith(" ") else value
        return {"end": True}

    def until(self, event: str, timeout: float = 40.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.next()
            if message.get("event") == event or (event == "comment" and "comment" in message):
                return message
            assert not message.get("end"), f"the stream ended before a {event} event"
        raise AssertionError(f"no {event} event within {timeout}s")

    def close(self) -> None:
        self.response.close()
