"""The rooms messages go to, read from CHAT_ROOMS and CHAT_ROUTES; every problem is named by room and
setting, never by URL or secret."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import urlsplit

from chesanto_chat.settings import chat_settings


class Service(Enum):
    SLACK = "slack"
    TEAMS = "teams"
    GOOGLE_CHAT = "google_chat"
    WEBHOOK = "webhook"  # any other system: a JSON body signed with the room's secret (chesanto_chat/signing.py)


class RoomError(ValueError):
    """A room or route that cannot be used; the message names the room and the setting."""


def masked_url(url: str) -> str:
    """How a webhook URL appears anywhere but the request: its scheme and host (the rest is the credential)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/…" if parts.scheme and parts.hostname else "(not a URL)"


@dataclass(frozen=True)
class Room:
    name: str
    service: Service
    url: str = field(repr=False)
    secret: str = field(default="", repr=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.service.value}, {masked_url(self.url)})"


def _room(name: str, spec: object) -> Room:
    if not isinstance(spec, dict):
        raise RoomError(f"CHAT_ROOMS[{name!r}] must be an object with service and url")
    unknown = set(spec) - {"service", "url", "secret"}
    if unknown:
        raise RoomError(f"CHAT_ROOMS[{name!r}] has unknown keys {', '.join(sorted(unknown))}; it takes service, url "
                        "and (for webhook) secret")
    try:
        service = Service(spec.get("service"))
    except ValueError:
        raise RoomError(f"CHAT_ROOMS[{name!r}]: service {spec.get('service')!r} is not one of "
                        f"{', '.join(s.value for s in Service)}") from None
    url = spec.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("https", "http") or not parts.hostname:
        raise RoomError(f"CHAT_ROOMS[{name!r}]: url is not an http(s) URL (the webhook URL the service gave)")
    secret = spec.get("secret", "")
    if service is Service.WEBHOOK and (not isinstance(secret, str) or len(secret) < 16):
        raise RoomError(f"CHAT_ROOMS[{name!r}]: a webhook room needs a secret of 16 or more characters, shared "
                        "with its receiver (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    if service is not Service.WEBHOOK and secret:
        raise RoomError(f"CHAT_ROOMS[{name!r}]: only a webhook room takes a secret ({service.value} URLs carry "
                        "their own)")
    return Room(name, service, url, secret)


def rooms() -> dict[str, Room]:
    """Every configured room by name; RoomError for the first bad one."""
    return {str(name): _room(str(name), spec) for name, spec in chat_settings.CHAT_ROOMS.items()}


def routes() -> dict[str, list[str]]:
    """Room names by event type; RoomError when a route is not a list of names."""
    found = {}
    for event_type, names in chat_settings.CHAT_ROUTES.items():
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise RoomError(f"CHAT_ROUTES[{event_type!r}] must be a list of room names")
        found[str(event_type)] = list(dict.fromkeys(names))
    return found


def problems(sent_types: list[str]) -> list[str]:
    """What is wrong with the rooms and routes, each naming its setting; empty rooms are not wrong."""
    found = []
    configured: dict[str, Room] = {}
    for name, spec in chat_settings.CHAT_ROOMS.items():
        try:
            configured[str(name)] = _room(str(name), spec)
        except RoomError as exc:
            found.append(str(exc))
    try:
        routed = routes()
    except RoomError as exc:
        return [*found, str(exc)]
    if not chat_settings.CHAT_ROOMS:
        return found
    for event_type, names in routed.items():
        if event_type not in sent_types:
            found.append(f"CHAT_ROUTES[{event_type!r}]: the chat channel sends nothing for it (it sends "
                         f"{', '.join(sent_types)})")
        if missing := [n for n in names if n not in chat_settings.CHAT_ROOMS]:
            found.append(f"CHAT_ROUTES[{event_type!r}] names rooms not in CHAT_ROOMS: {', '.join(missing)}")
    return found
