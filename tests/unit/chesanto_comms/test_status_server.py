"""The status server listens where it is told, and on loopback unless told otherwise."""
from __future__ import annotations

import urllib.request

from chesanto_comms.embedded.ports import free_port
from chesanto_comms.status_server import StatusServer
from tests.support.sockets import listening_hosts


def healthy():
    return True, {}


def test_it_listens_on_loopback_by_default():
    server = StatusServer(free_port(), healthy).start()
    try:
        assert listening_hosts(server.port) == {"127.0.0.1"}
    finally:
        server.stop()


def test_it_listens_on_the_address_given():
    server = StatusServer(free_port(), healthy, host="127.0.0.2").start()
    try:
        assert listening_hosts(server.port) == {"127.0.0.2"}
        with urllib.request.urlopen(f"http://127.0.0.2:{server.port}/healthz", timeout=5) as response:
            assert response.status == 200
    finally:
        server.stop()
