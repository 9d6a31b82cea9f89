"""A tiny TCP relay for tests: clients connect to it, it connects each to the real server,
and `cut()` drops every open connection at once (as a network that fails mid-stream would:
both sockets shut down, neither end told in advance). It keeps the first bytes each client
sent (the request line and headers) so a test can see what a reconnect asked for.
"""
from __future__ import annotations

import socket
import threading


class Relay:
    def __init__(self, upstream_port: int):
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[bytes] = []        # each connection's first bytes
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return                          # closed
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._open += [client, server]
                self.requests.append(b"")
                index = len(self.requests) - 1
            threading.Thread(target=self._pump, args=(client, server, index), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, None), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, index) -> None:
        try:
            while data := src.recv(65536):
                if index is not None and len(self.requests[index]) < 4096:
                    self.requests[index] += data
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> int:
        """Drop every open connection; how many sockets were shut."""
        with self._lock:
            doomed, self._open = self._open, []
        for s in doomed:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        return len(doomed)

    def close(self) -> None:
        self.listener.close()
        self.cut()
