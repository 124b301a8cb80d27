"""The apps' settings: each one declared once, with its default, type and meaning, and read
through one resolver with one precedence:

    the Django setting, if the project defines it (and it is not None)
    > the environment variable of the same name
    > the declared default

    from chesanto_comms.conf import comms
    comms.OUTBOX_SHARDS        # 32 unless settings.OUTBOX_SHARDS or $OUTBOX_SHARDS says otherwise

A value is resolved on its first read and kept: the consume loop reads some settings per
message, and resolving (a Django setting look-up, an environment look-up, parsing) cost 14% of
its CPU. Django's `setting_changed` signal (override_settings, pytest-django's `settings`)
empties the cache, as does `reset_cache()` (a test that changes the environment).
`Setting.resolve()` itself never caches: the checks use it. A value that cannot be used raises
`SettingError` naming the setting; `manage.py check` reports every such setting with a
hint (chesanto_comms/checks.py). Shared settings are declared here; a channel declares
its own in `consumers/<channel>/settings.py` with the same `Setting` type.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from chesanto_comms.durations import duration_problem
from chesanto_comms.env import SettingError, parse_bool, parse_float, parse_int, parse_list
from chesanto_comms.kafka import DEFAULT_BOOTSTRAP

Validator = Callable[[Any], str | None]  # returns what is wrong with a value, or None
HIDDEN = "<hidden>"  # what an error shows of a secret setting's value
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY|CREDENTIAL|WEBHOOK_URL|_ROOMS$")  # credentials by name


@dataclass(frozen=True)
class Kind:
    """How a setting's value is read from the environment and what a Django setting must be."""

    name: str
    from_env: Callable[[str, str], Any]  # (variable name, raw text) -> value, or SettingError
    types: tuple[type, ...]

    def from_django(self, name: str, value: Any) -> Any:
        if isinstance(value, bool) and bool not in self.types:  # True is an int to Python, not to us
            raise SettingError(f"settings.{name}={value!r} is not {self.name}")
        if not isinstance(value, self.types):
            raise SettingError(f"settings.{name}={value!r} is not {self.name}")
        if self.types == (list, tuple):
            return [str(item) for item in value]
        return float(value) if self.types == (float, int) else value


STR = Kind("a string", lambda name, raw: raw, (str,))
INT = Kind("an integer", parse_int, (int,))
FLOAT = Kind("a number", parse_float, (float, int))
BOOL = Kind("a boolean", parse_bool, (bool,))
LIST = Kind("a list", lambda name, raw: parse_list(raw), (list, tuple))


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    doc: str
    kind: Kind = STR
    validate: Validator | None = None
    shown: str = ""  # the default as the README shows it, when not the value itself
    secret: bool | None = None  # a credential: never quoted in an error; None: decided by its name (SECRET_NAME)

    @property
    def hidden(self) -> bool:
        return self.secret if self.secret is not None else bool(SECRET_NAME.search(self.name))

    def resolve(self) -> Any:
        from django.conf import settings as django_settings

        if django_settings.configured:
            value = getattr(django_settings, self.name, None)
            if value is not None:
                try:
                    read = self.kind.from_django(self.name, value)
                except SettingError:
                    if self.hidden:  # what a Kind says quotes the value: say less
                        raise SettingError(f"settings.{self.name}={HIDDEN} is not {self.kind.name}") from None
                    raise
                return self._checked(read)
        raw = os.environ.get(self.name)
        if raw is not None and (raw.strip() or self.kind is STR or self.kind is LIST):
            return self._checked(self.kind.from_env(self.name, raw))
        return type(self.default)(self.default) if isinstance(self.default, (list, dict)) else self.default

    def _checked(self, value: Any) -> Any:
        if self.validate is not None and (problem := self.validate(value)):
            raise SettingError(f"{self.name}={HIDDEN if self.hidden else repr(value)}: {problem}")
        return value

    @property
    def default_text(self) -> str:
        if self.shown:
            return self.shown
        if self.default in ("", [], {}, None):
            return "empty"
        if isinstance(self.default, bool):
            return f"`{str(self.default).lower()}`"
        if isinstance(self.default, list):
            return f"`{','.join(self.default)}`"
        return f"`{self.default}`"


_DECLARED: dict[str, Setting] = {}


class Settings:
    """A group of declared settings, read as attributes through the resolver (cached)."""

    def __init__(self, title: str, *settings: Setting):
        self.title = title
        self.declared = {}
        self._cache: dict[str, Any] = {}
        for setting in settings:
            if setting.name in _DECLARED:
                raise ValueError(f"setting {setting.name} declared twice")
            _DECLARED[setting.name] = self.declared[setting.name] = setting
        _GROUPS.append(self)

    def __getattr__(self, name: str) -> Any:
        cache = self.__dict__["_cache"]
        try:
            return cache[name]
        except KeyError:
            pass
        try:
            setting = self.__dict__["declared"][name]
        except KeyError:
            raise AttributeError(f"{name} is not a setting of {self.title}") from None
        value = cache[name] = setting.resolve()
        return value

    def __iter__(self) -> Iterator[Setting]:
        return iter(self.declared.values())


_GROUPS: list[Settings] = []


_generation = [0]


def reset_cache(**_signal) -> None:
    """Forget every resolved value (connected to Django's setting_changed)."""
    _generation[0] += 1
    for group in _GROUPS:
        group._cache.clear()


def generation() -> int:
    """Changes whenever the cache is emptied: what derives values from settings keys its own cache on it."""
    return _generation[0]


def _connect_setting_changed() -> None:
    from django.test.signals import setting_changed

    setting_changed.connect(reset_cache, dispatch_uid="chesanto-comms-conf")


_connect_setting_changed()


def declared() -> dict[str, Setting]:
    """Every setting declared so far (a channel's are declared when its package is imported)."""
    return dict(_DECLARED)


def groups() -> list[Settings]:
    return list(_GROUPS)


def one_of(*choices: str) -> Validator:
    return lambda value: None if value in choices else f"use one of {', '.join(choices)}"


def at_least(minimum: float) -> Validator:
    return lambda value: None if value >= minimum else f"must be {minimum} or more"


def _port(value: int) -> str | None:
    return None if 0 <= value <= 65535 else "a TCP port (0-65535; 0 = off)"


def _fernet_keys(value: str) -> str | None:
    from cryptography.fernet import Fernet

    try:
        [Fernet(key.strip()) for key in value.split(",") if key.strip()]
    except ValueError:
        return ("not comma-separated Fernet keys (generate one with: python -c 'from cryptography.fernet "
                "import Fernet; print(Fernet.generate_key().decode())')")
    return None


def _colour(value: str) -> str | None:
    import re

    return None if re.fullmatch(r"#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{3}", value) else "a colour as #RRGGBB"


def _public_url(value: str) -> str | None:
    """Empty, or `scheme://host[:port]` with an optional path: what a link in a message starts with."""
    from urllib.parse import urlsplit

    if not value:
        return None
    parts = urlsplit(value)
    return None if parts.scheme in ("http", "https") and parts.netloc and not parts.query else \
        "an absolute URL such as https://comms.example (the address recipients open links at)"


def _phone_region(value: str) -> str | None:
    import phonenumbers

    return None if value in phonenumbers.SUPPORTED_REGIONS else "a region phonenumbers knows (ISO 3166 code: KE, UG, TZ, …)"


class TopicMapError(SettingError):
    """OUTBOX_TOPIC_MAP is malformed."""


def parse_topic_map(name: str, raw: str) -> dict[str, str]:
    mapping = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        domain, sep, topic = item.partition("=")
        if not sep or not domain.strip() or not topic.strip():
            raise TopicMapError(f"{name} item {item!r} is not 'domain=topic'")
        mapping[domain.strip()] = topic.strip()
    return mapping


@dataclass(frozen=True)
class MappingKind(Kind):
    """A dict in Django settings, or `key=value,…` text (in either place)."""

    def from_django(self, name: str, value: Any) -> Any:
        if isinstance(value, str):
            return self.from_env(name, value)
        return {str(k): str(v) for k, v in super().from_django(name, value).items()}


TOPIC_MAP = MappingKind("a map of domain=topic", parse_topic_map, (dict,))

CONSENT_CATEGORIES = ("transactional", "operational", "marketing")  # critical is always sent: not configurable


def parse_consent_defaults(name: str, raw: str) -> dict[str, str]:
    """`marketing=out,operational.sms=out`: a category (or category.channel) and `in` or `out`."""
    mapping = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        where, sep, value = item.partition("=")
        if not sep or not where.strip() or not value.strip():
            raise SettingError(f"{name} item {item!r} is not 'category=in|out' or 'category.channel=in|out'")
        mapping[where.strip()] = value.strip()
    return mapping


def _time_zone(value: str) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "an IANA time zone name, such as Africa/Nairobi"
    return None


def _quiet_window(value: str) -> str | None:
    import re

    if value.strip().lower() == "off" or re.fullmatch(r"\s*([01]\d|2[0-3]):[0-5]\d\s*-\s*([01]\d|2[0-3]):[0-5]\d\s*", value):
        return None
    return "a local start and end as HH:MM-HH:MM (21:00-07:00), or off"


def _quiet_categories(value: list[str]) -> str | None:
    if wrong := [c for c in value if c not in ("operational", "marketing")]:
        return f"{', '.join(wrong)}: quiet hours may hold operational and marketing messages only (never critical or transactional)"
    return None


def _consent_defaults(value: dict[str, str]) -> str | None:
    for where, state in value.items():
        category = where.split(".", 1)[0]
        if category not in CONSENT_CATEGORIES:
            return (f"{where!r}: name one of {', '.join(CONSENT_CATEGORIES)} (critical messages are always sent), "
                    "optionally with .<channel>")
        if state not in ("in", "out"):
            return f"{where!r}: use in or out, not {state!r}"
        if category == "marketing" and state == "in":
            return f"{where!r}: marketing is opt-in only (the Data Protection Act asks for consent first)"
    return None


CONSENT_DEFAULTS = MappingKind("a map of category[.channel]=in|out", parse_consent_defaults, (dict,))


comms = Settings(
    "Chesanto Communications",
    # --- Kafka (plus the KAFKA_<NAME> pass-through: chesanto_comms/kafka.py) ---
    Setting("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_BOOTSTRAP, "Kafka brokers (`host:port,…`)"),
    # --- topics and records ---
    Setting("OUTBOX_TOPIC_PREFIX", "chesanto.", "topic of a domain = prefix + domain; also prefixes the retry topics"),
    Setting("OUTBOX_TOPIC_MAP", {}, "explicit topic names: `auth=bakery-auth,sales=bakery-sales` (or a dict)",
            TOPIC_MAP),
    Setting("OUTBOX_TOPIC_PARTITIONS", 6, "partitions of the topics the system creates", INT, at_least(1)),
    Setting("OUTBOX_TOPIC_REPLICATION", 1, "replication factor of the topics the system creates", INT, at_least(1)),
    Setting("OUTBOX_EVENT_SOURCE", "/chesanto", "`ce_source` prefix"),
    # --- the outbox ---
    Setting("OUTBOX_SECRET_KEY", "", "comma-separated Fernet keys sealing secret fields (first encrypts, all decrypt); "
            "required with `DEBUG` off", validate=_fernet_keys),
    Setting("OUTBOX_SIGNING_KEY", [], "shared keys (comma-separated, the first signs) of an HMAC signature the relay "
            "puts on each record and the consumers require; empty = off (chesanto_comms/signing.py)", LIST),
    Setting("OUTBOX_SHARDS", 32, "shards rows are spread over (fixed per row at emit; docs/relay.md before changing)",
            INT, at_least(1)),
    Setting("OUTBOX_PUBLISHER", "relay", "what publishes the outbox: `relay` (`manage.py relay`) or `debezium` (Kafka "
            "Connect, deploy/debezium/: the relay refuses to start, rows are purged by age alone)",
            validate=one_of("relay", "debezium")),
    Setting("OUTBOX_RETENTION_HOURS", 168.0, "published rows older than this are purged (with `debezium`: all rows "
            "older than this)", FLOAT, at_least(0)),
    Setting("OUTBOX_PURGE_BATCH", 1000, "rows deleted per purge transaction", INT, at_least(1)),
    Setting("OUTBOX_MAX_EVENT_BYTES", 900_000, "largest event `emit()` accepts, as its Kafka record (payload, key "
            "and headers); keep it below the brokers' `message.max.bytes` (Kafka's default 1048588) and the "
            "producer's (librdkafka's 1000000); at least 16384", INT, at_least(16 * 1024)),
    Setting("COMMS_PHONE_REGION", "KE", "region a phone number without `+` and country code is read in "
            "(`0712 345 678` → `+254712345678`)", validate=_phone_region),
    # --- the relay ---
    Setting("RELAY_BATCH_SIZE", 2000, "largest claim (under a backlog)", INT, at_least(1)),
    Setting("RELAY_BATCH_MIN", 50, "smallest claim (at low load); doubles while claims come back full", INT, at_least(1)),
    Setting("RELAY_POLL_INTERVAL", 1.0, "seconds between claims when no NOTIFY arrives", FLOAT, at_least(0.01)),
    Setting("RELAY_RELEASE_INTERVAL", 0.25, "seconds between looks for scheduled events (`emit(deliver_at=...)`) "
            "that came due; the most a due event waits before it is queued (docs/scheduling.md)",
            FLOAT, at_least(0.01)),
    Setting("RELAY_MAX_ATTEMPTS", 10, "a row's own publish failures before it is parked", INT, at_least(1)),
    Setting("RELAY_RETRY_DELAY", 1.0, "seconds before a failed row is retried; doubles per attempt", FLOAT, at_least(0)),
    Setting("RELAY_RETRY_MAX_DELAY", 60.0, "cap of that delay", FLOAT, at_least(0)),
    Setting("RELAY_REBALANCE_INTERVAL", 1.0, "seconds between shard-ownership checks", FLOAT, at_least(0.05)),
    Setting("RELAY_BACKOFF_INITIAL", 0.2, "first wait after a broker or database outage (seconds)", FLOAT, at_least(0)),
    Setting("RELAY_BACKOFF_MAX", 10.0, "cap of the jittered exponential outage backoff", FLOAT, at_least(0)),
    Setting("RELAY_PURGE_INTERVAL", 300.0, "seconds between the relay's own purges of its shards; `0` = off",
            FLOAT, at_least(0)),
    Setting("RELAY_METRICS_PORT", 0, "the relay's `/metrics` and `/healthz`; `0` = off", INT, _port),
    Setting("RELAY_METRICS_ADDRESS", "127.0.0.1", "interface the relay's metrics server listens on "
            "(`0.0.0.0` in a container)"),
    Setting("RELAY_SYNCHRONOUS_COMMIT", False, "`synchronous_commit` of the relay's own sessions "
            "(off: a lost mark only re-sends)", BOOL),
    # --- the scheduler (manage.py scheduler; docs/scheduling.md) ---
    Setting("SCHEDULER_CATCH_UP", "6h", "how far back a leader emits the ticks missed while no scheduler ran "
            "(`90s`, `15m`, `6h`, `2d`); older missed ticks are skipped and logged", validate=duration_problem),
    Setting("SCHEDULER_LEADER_RETRY", 1.0, "seconds between a follower's tries to take the leader's lock "
            "(how soon a dead leader is replaced)", FLOAT, at_least(0.05)),
    # --- channel consumers ---
    Setting("CONSUMER_GROUP_PREFIX", "chesanto-", "group of a channel = prefix + channel"),
    Setting("CONSUMER_METRICS_PORT", 0, "a consumer's `/metrics` and `/healthz`; `0` = off", INT, _port),
    Setting("CONSUMER_METRICS_ADDRESS", "127.0.0.1", "interface a consumer's metrics server listens on "
            "(`0.0.0.0` in a container)"),
    Setting("COMMS_EAGER_DELIVERY", [], "channels that deliver in-process inside `emit()` instead of through "
            "Kafka: for a project's own tests (`email`)", LIST),
    # --- delivery webhooks ---
    Setting("WEBHOOK_PROXY_COUNT", 0, "reverse proxies in front (then `X-Forwarded-For` is trusted that far)",
            INT, at_least(0)),
    Setting("WEBHOOK_PUBLIC_URL", "", "public `scheme://host` of the web app: providers are told it, Twilio signs it"),
    Setting("WEBHOOK_REPLAY_WINDOW_DAYS", 7, "how long callback receipts are kept for replay detection",
            INT, at_least(1)),
    # --- recipients' preferences (consumers/consent.py) ---
    Setting("COMMS_CONSENT_DEFAULTS", {"marketing": "out"}, "whether a recipient who never said is opted in: "
            "`category=in|out` or `category.channel=in|out`, comma-separated (or a dict); unnamed ones are `in`; "
            "marketing is opt-in only, critical always sent (docs/recipients.md)", CONSENT_DEFAULTS,
            _consent_defaults, shown="`marketing=out`"),
    Setting("COMMS_PUBLIC_URL", "", "public `scheme://host` of this web app as recipients reach it, for the "
            "preference-page and one-click unsubscribe links in messages; empty = no such links (and no "
            "`List-Unsubscribe` header)", validate=_public_url),
    Setting("COMMS_PREFERENCE_LINK_MAX_AGE", 90, "days a preference or unsubscribe link in a message keeps working",
            INT, at_least(1)),
    Setting("COMMS_UNSUBSCRIBE_MAILTO", "", "address for the `mailto:` of `List-Unsubscribe` (a mailbox staff read); "
            "empty = the header carries only the https URL"),
    # --- quiet hours (consumers/quiet_hours.py) ---
    Setting("COMMS_DEFAULT_TIME_ZONE", "Africa/Nairobi", "time zone of a recipient whose profile names none: their "
            "quiet hours are kept in it", validate=_time_zone),
    Setting("COMMS_QUIET_HOURS", "21:00-07:00", "local hours in which quiet-hours messages are held until the window "
            "ends (`HH:MM-HH:MM`, may cross midnight; `off` = none); a recipient's profile may set their own",
            validate=_quiet_window),
    Setting("COMMS_QUIET_HOURS_CATEGORIES", ["operational", "marketing"], "categories quiet hours hold (never "
            "critical or transactional)", LIST, _quiet_categories, shown="`operational,marketing`"),
    Setting("COMMS_QUIET_HOURS_CHANNELS", ["sms", "whatsapp", "push"], "channels whose messages quiet hours hold",
            LIST, shown="`sms,whatsapp,push`"),
    Setting("COMMS_QUIET_HOURS_RELEASE_INTERVAL", 5.0, "seconds between a consumer's looks for held messages "
            "whose quiet hours have ended", FLOAT, at_least(0.1)),
    # --- templates and branding ---
    Setting("COMMS_TEMPLATE_DIRS", [], "directories searched before the packaged message templates "
            "(same relative paths; first match wins)", LIST),
    Setting("COMMS_COMPANY_NAME", "Chesanto Bakery", "company name in every email's header and footer"),
    Setting("COMMS_SYSTEM_NAME", "Chesanto Bakery Management System", "the system messages speak of "
            "(\"your account on …\")"),
    Setting("COMMS_SHORT_NAME", "Chesanto", "the name an SMS starts with"),
    Setting("COMMS_TAGLINE", "Freshly baked, every day", "line under the name in the email header; empty = none"),
    Setting("COMMS_LOGO_URL", "", "absolute URL of a logo for the email header; empty = the name as text"),
    Setting("COMMS_PRIMARY_COLOR", "#7B3F00", "header, headings, buttons and links", validate=_colour),
    Setting("COMMS_ACCENT_COLOR", "#E8B64C", "rules and the tagline", validate=_colour),
    Setting("COMMS_BACKGROUND_COLOR", "#FFF8EE", "page background around the email", validate=_colour),
    Setting("COMMS_POSTAL_ADDRESS", "", "postal address in the email footer; empty = none"),
    Setting("COMMS_SUPPORT_EMAIL", "support@chesanto.local", "support address in messages"),
    Setting("COMMS_APP_URL", "http://localhost:8000", "the bakery system's URL, for links in messages"),
    Setting("COMMS_DEFAULT_LANGUAGE", "en", "language of a customer's message when neither the event nor the "
            "recipient's preference names one: `en` (English) or `sw` (Swahili)", validate=one_of("en", "sw")),
    # --- logs ---
    Setting("LOG_FORMAT", "plain", "`plain` or `json` (one JSON object per line)", validate=one_of("plain", "json")),
)
