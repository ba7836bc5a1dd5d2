"""A loopback HTTP/1.1 proxy that loses chosen answers: the request arrives, its answer never does.

That is what a client sees when a worker dies after committing, a read times out, or a load
balancer drops a connection: the write was applied, so a blind retry would apply it twice.
Requests and answers must carry a Content-Length (urllib3 and uvicorn send one for JSON).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable


def _read_message(sock: socket.socket, buffer: bytearray) -> bytes | None:
    """Read one HTTP message (head + Content-Length body) from ``sock``; None on EOF."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer.extend(chunk)
    head_end = buffer.index(b"\r\n\r\n") + 4
    length = 0
    for line in bytes(buffer[:head_end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(buffer) < head_end + length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer.extend(chunk)
    message = bytes(buffer[: head_end + length])
    del buffer[: head_end + length]
    return message


class LossyProxy:
    """Forward 127.0.0.1:<port> to ``target_port``; drop the answers ``drop(request)`` picks.

    Attributes:
        dropped: How many answers were lost on purpose.
    """

    def __init__(self, target_port: int, drop: Callable[[bytes], bool]) -> None:
        self.target_port = target_port
        self.drop = drop
        self.dropped = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with contextlib.ExitStack() as stack:
            stack.enter_context(client)
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=120)
            except OSError:
                return  # the server is down: the client sees a dropped connection and retries
            stack.enter_context(server)
            from_client, from_server = bytearray(), bytearray()
            with contextlib.suppress(OSError):
                while True:
                    request = _read_message(client, from_client)
                    if request is None:
                        return
                    server.sendall(request)
                    answer = _read_message(server, from_server)
                    if answer is None:
                        return  # the worker died mid-request
                    if self.drop(request):
                        with self._lock:
                            self.dropped += 1
                        return  # applied on the server, but the client never hears of it
                    client.sendall(answer)
