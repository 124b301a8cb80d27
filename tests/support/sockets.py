"""Which addresses a TCP port is listening on, as the kernel reports it (Linux's /proc/net/tcp{,6})."""
from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

LISTEN = "0A"  # the TCP state code of a listening socket


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)  # 32-bit words, each in the host's (little-endian) byte order
    return str(ipaddress.ip_address(b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))))


def listening_hosts(port: int) -> set[str]:
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        pytest.skip("needs Linux's /proc/net/tcp to see which address a socket listens on")
    hosts = set()
    for table in (t for t in tables if t.exists()):
        for line in table.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            host, hex_port = local.rsplit(":", 1)
            if state == LISTEN and int(hex_port, 16) == port:
                hosts.add(_address(host))
    return hosts
