"""The settings every channel has, declared by each channel under its own prefix
(`EMAIL_CONCURRENCY`, `SMS_MAX_RETRIES`, …) and read as one typed value."""
from __future__ import annotations

from dataclasses import dataclass

from chesanto_comms.conf import FLOAT, INT, Setting, Settings, at_least


@dataclass(frozen=True)
class DeliverySettings:
    concurrency: int  # sends in flight per consumer process
    timeout: float  # seconds a provider call may take
    max_retries: int  # retries of a transient failure before the message is FAILED
    retry_delay: float  # seconds before the first retry; doubles per retry
    log_retention_days: int  # what the cleanup keeps


def delivery_settings(prefix: str, medium: str, *, concurrency: int, timeout: float, timeout_doc: str,
                      max_retries: int = 3, retry_delay: int = 60, retention_days: int = 365) -> tuple[Setting, ...]:
    return (
        Setting(f"{prefix}_CONCURRENCY", concurrency,
                f"most {medium} sends in flight per consumer process (its provider connections grow to it as needed)",
                INT, at_least(1)),
        Setting(f"{prefix}_TIMEOUT", timeout, timeout_doc, FLOAT, at_least(0.1)),
        Setting(f"{prefix}_MAX_RETRIES", max_retries, f"retries of a transient {medium} failure", INT, at_least(0)),
        Setting(f"{prefix}_RETRY_DELAY", retry_delay, "seconds before the first retry; doubles per retry",
                INT, at_least(0)),
        Setting(f"{prefix}_LOG_RETENTION_DAYS", retention_days, f"days of {medium} log rows the cleanup keeps",
                INT, at_least(1)),
    )


def read_delivery_settings(group: Settings, prefix: str) -> DeliverySettings:
    return DeliverySettings(
        concurrency=getattr(group, f"{prefix}_CONCURRENCY"),
        timeout=getattr(group, f"{prefix}_TIMEOUT"),
        max_retries=getattr(group, f"{prefix}_MAX_RETRIES"),
        retry_delay=getattr(group, f"{prefix}_RETRY_DELAY"),
        log_retention_days=getattr(group, f"{prefix}_LOG_RETENTION_DAYS"),
    )
