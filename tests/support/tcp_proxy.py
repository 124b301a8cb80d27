"""A loopback TCP proxy a test controls, to cut a client off from a service and let it back.

    with TcpProxy(target_port=5432) as proxy:   # clients connect to proxy.port
        proxy.cut()       # every open connection is closed, new ones are refused
        proxy.restore()   # connections are accepted and forwarded again

The service keeps running (an in-memory broker would lose its data if killed); only the
network between it and the clients goes. The service may listen on a unix socket instead
(`target_unix`: PostgreSQL's `<dir>/.s.PGSQL.<port>`); the clients still connect over TCP. Threads: one accepting, two per connection;
everything is closed and joined by `stop()`.
"""
from __future__ import annotations

import socket
import threading

from chesanto_comms.embedded.ports import free_port

MAX_CONNECTIONS = 64
CHUNK = 65536


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1", port: int | None = None,
                 target_unix: str | None = None):
        self.target = (target_host, target_port)
        self.target_unix = target_unix
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._pumps: set[threading.Thread] = set()
        self.accepted = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "TcpProxy":
        self.restore()
        return self

    def restore(self) -> None:
        """Listen (again) on the same port."""
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(16)
            self._listener = listener
            self._acceptor = threading.Thread(target=self._accept, args=(listener,), name="tcp-proxy-accept",
                                              daemon=True)
            self._acceptor.start()

    def cut(self) -> None:
        """Close every connection and stop listening: clients see resets, then refusals."""
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, set()
            acceptor = self._acceptor
        if listener is not None:
            _close(listener)
        for sock in connections:
            _close(sock)
        if acceptor is not None:
            acceptor.join(5)

    def stop(self) -> None:
        self.cut()
        with self._lock:
            pumps, self._pumps = self._pumps, set()
        for pump in pumps:
            pump.join(5)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed by cut()
            try:
                upstream = self._connect_upstream()
            except OSError:
                _close(client)
                continue
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._listener is not listener or len(self._connections) >= 2 * MAX_CONNECTIONS:
                    _close(client)
                    _close(upstream)
                    continue
                self.accepted += 1
                self._connections.update((client, upstream))
                pumps = [threading.Thread(target=self._pump, args=(a, b), name="tcp-proxy-pump", daemon=True)
                         for a, b in ((client, upstream), (upstream, client))]
                self._pumps.update(pumps)
            for pump in pumps:
                pump.start()

    def _connect_upstream(self) -> socket.socket:
        if self.target_unix:
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.settimeout(5)
            try:
                upstream.connect(self.target_unix)
            except OSError:
                upstream.close()
                raise
        else:
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        upstream.settimeout(None)
        return upstream

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(CHUNK):
                sink.sendall(data)
        except OSError:
            pass
        finally:  # one side ended: end both, so the other pump stops too
            _close(source)
            _close(sink)
            with self._lock:
                self._connections.discard(source)
                self._connections.discard(sink)
                self._pumps.discard(threading.current_thread())

    def __enter__(self) -> "TcpProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
