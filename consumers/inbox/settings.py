"""The in-app inbox's settings: the API's page size, the live stream's timings, and the delivery
settings every channel has (its "provider" is the database: small concurrency, short timeout)."""
from chesanto_comms.conf import INT, Setting, Settings, at_least
from consumers.channel_settings import delivery_settings


def _at_most(maximum: int):
    return lambda value: None if value <= maximum else f"must be {maximum} or less"


inbox_settings = Settings(
    "the in-app inbox",
    Setting("INBOX_PAGE_SIZE", 20, "items per page of the inbox API when `limit` is not given (at most 100)",
            INT, lambda value: at_least(1)(value) or _at_most(100)(value)),
    Setting("INBOX_SSE_HEARTBEAT", 15, "seconds between keep-alive comments on an open live stream; a client "
            "that went away is noticed within this", INT, at_least(1)),
    Setting("INBOX_SSE_MAX_SECONDS", 300, "seconds a live stream stays open before the browser is asked to "
            "reconnect (which checks its session again)", INT, at_least(5)),
    Setting("INBOX_SSE_MAX_PER_USER", 5, "most live streams one user holds open per web-server process; opening "
            "another ends their oldest (its page says so and stops)", INT, at_least(1)),
    Setting("INBOX_SSE_RETRY", 3, "seconds the browser waits before reconnecting (the stream's `retry:` hint)",
            INT, at_least(1)),
    *delivery_settings("INBOX", "inbox", concurrency=2, timeout=5.0, retention_days=180,
                       timeout_doc="seconds a feed write may take (its statement timeout)"),
)
