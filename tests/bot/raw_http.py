"""A raw HTTP/1.1 server for `bot.http11` clients: the test writes each answer byte by byte."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class Server:
    """Reads JSON POSTs; ``answer`` (sync or async) turns each body into the bytes sent back."""

    answer: Callable[[dict[str, object]], bytes | Awaitable[bytes]]
    requests: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)  # of each request, lower-case
    connections: int = 0
    port: int = 0
    # close each connection after one answer, as a server's keep-alive timeout does: no header
    close_after_answer: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read requests on one connection until the client or the answer closes it."""
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in lines[1:] if line)
                }
                body = json.loads(await reader.readexactly(int(headers["content-length"])))
                self.requests.append((lines[0], body))
                self.headers.append(headers)
                data = self.answer(body)
                if inspect.isawaitable(data):
                    data = await data
                if data == b"":
                    break  # close without answering
                writer.write(data)
                await writer.drain()
                if b"Connection: close" in data or self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def http(status: int, payload: object, *, chunked: bool = False, close: bool = False) -> bytes:
    """An HTTP/1.1 answer with a JSON body."""
    return raw(status, json.dumps(payload).encode(), chunked=chunked, close=close)


def raw(status: int, body: bytes, *, chunked: bool = False, close: bool = False) -> bytes:
    """An HTTP/1.1 answer with ``body`` as it is."""
    reason = {200: "OK", 400: "Bad Request", 429: "Too Many Requests"}.get(status, "X")
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
    if close:
        head += "Connection: close\r\n"
    if chunked:
        half = len(body) // 2
        chunks = b"".join(
            f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in (body[:half], body[half:])
        )
        return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + chunks + b"0\r\n\r\n"
    return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def serve(state: Server) -> AsyncIterator[Server]:
    """Run ``state`` on a free loopback port while the caller's fixture is in use."""
    listener = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield state
