"""The thread of a channel consumer that releases its held messages when their quiet hours end.

Every COMMS_QUIET_HOURS_RELEASE_INTERVAL seconds it asks for the channel's held rows that are due (one indexed
query; consumers/holds.py) and delivers them with a channel instance of its own, under the consumer's claims
(its ProcessLease), so the loop's partitions are never held up by a release. Several consumer processes may run
it at once: each row is taken by one (FOR UPDATE SKIP LOCKED), and the log rows' claims stop a second send.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, close_old_connections, connection

from chesanto_comms.conf import comms
from consumers import holds

log = logging.getLogger(__name__)


class Releaser:
    def __init__(self, new_channel: Callable, lease, stopping: threading.Event):
        self._new_channel, self._lease, self._stopping = new_channel, lease, stopping
        self._thread = threading.Thread(target=self._run, name="quiet-hours-releaser", daemon=True)

    def start(self) -> Releaser:
        self._thread.start()
        return self

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        channel = self._new_channel()
        try:
            while not self._stopping.wait(comms.COMMS_QUIET_HOURS_RELEASE_INTERVAL):
                self.release_once(channel)
        finally:
            channel.close()
            connection.close()

    def release_once(self, channel) -> int:
        """Release what is due now; a database away is tried again at the next look."""
        close_old_connections()
        try:
            released = 0
            while (count := holds.release_due(channel, self._lease)) and not self._stopping.is_set():
                released += count  # a full look may leave more due: look again at once
                if count < holds.RELEASE_BATCH:
                    break
            return released
        except (OperationalError, InterfaceError) as exc:
            connection.close()
            log.warning("%s: held messages not released now (database unavailable: %s); trying again", channel.name, exc)
        except Exception:  # noqa: BLE001 - a bug here must not stop the consumer; the rows wait for the next look
            log.exception("%s: releasing held messages failed", channel.name)
        return 0
