"""A small HTTP/1.1 client on asyncio streams: kept-alive connections to one origin, POST only.

PTB's httpx stack (httpx, httpcore, anyio, h11) costs about 1.4 ms of CPU per request on these
cores; this costs about 0.13 ms. Every Bot API request the bot makes is a POST of a small JSON body
with a small JSON answer, so this is all it needs: one write per request, a ``Content-Length`` or
chunked answer, and a free list of connections (a request at a time on each). Uploads and file
downloads stay on httpx (``bot.bot_api``).
"""

from __future__ import annotations

import asyncio
import select
import ssl
import time
from urllib.parse import urlsplit

IDLE_REUSE_SECONDS = 20.0  # an idle connection older than this is replaced, not reused


class ProtocolError(Exception):
    """The server's answer was not the HTTP/1.1 this client reads."""


# What a request may raise besides TimeoutError: the server went away or answered nonsense.
CONNECTION_ERRORS = (
    OSError,
    EOFError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    ProtocolError,
    ValueError,
    UnicodeDecodeError,
)


class _ClosedBeforeAnswer(ConnectionError):
    """The server closed the connection before a byte of the answer came back."""


class _Connection:
    """One kept-alive HTTP/1.1 connection; a request at a time."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None, max_body: int) -> None:
        self._host, self._port, self._tls, self._max_body = host, port, tls, max_body
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._used_at = 0.0

    def _usable(self) -> bool:
        """Open, not closed by the server, not idle for too long."""
        return (
            self._reader is not None
            and self._writer is not None
            and not self._writer.is_closing()
            and not self._reader.at_eof()
            and time.monotonic() - self._used_at < IDLE_REUSE_SECONDS
            and not _readable(self._writer)
        )

    async def request(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        """Send one request and read its answer (the caller bounds the time)."""
        reused = self._usable()
        if not reused:
            await self._open()
        try:
            status, data, keep_alive = await self._exchange(head, body)
        except _ClosedBeforeAnswer:
            self.close()
            if not reused:
                raise
            # A kept-alive connection the server closed while it lay idle (uvicorn closes after
            # 5 s, and the EOF may not have been read yet when it is taken): nothing of an
            # answer came back, so the request is sent once more on a new connection.
            await self._open()
            try:
                status, data, keep_alive = await self._exchange(head, body)
            except BaseException:
                self.close()
                raise
        except BaseException:
            self.close()
            raise
        if keep_alive:
            self._used_at = time.monotonic()
        else:
            self.close()
        return status, data

    async def _open(self) -> None:
        self.close()
        self._reader, self._writer = await asyncio.open_connection(
            self._host,
            self._port,
            ssl=self._tls,
            server_hostname=self._host if self._tls else None,
            limit=1 << 16,
        )

    async def _exchange(self, head: bytes, body: bytes) -> tuple[int, bytes, bool]:
        assert self._reader is not None and self._writer is not None
        try:
            self._writer.write(head + body)
            answer_head = await self._reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise
            raise _ClosedBeforeAnswer("closed by the server") from exc
        except (ConnectionResetError, BrokenPipeError) as exc:
            # what a socket the server has closed answers to the request (a server that began
            # an answer and then reset is not told apart: rarer than a reply sent twice is bad)
            raise _ClosedBeforeAnswer(type(exc).__name__) from exc
        return await _read_response(answer_head, self._reader, self._max_body)

    def close(self) -> None:
        """Drop the connection (a new one is opened on the next request)."""
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def _read_response(
    head: bytes, reader: asyncio.StreamReader, max_body: int
) -> tuple[int, bytes, bool]:
    """Status, body (after ``head``, already read) and whether the connection may be reused."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ProtocolError("not an HTTP/1.x status line")
    status = int(parts[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    keep_alive = headers.get("connection", "").lower() != "close" and parts[0] != "HTTP/1.0"
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return status, await _read_chunked(reader, max_body), keep_alive
    if "content-length" in headers:
        length = int(headers["content-length"])
        if length > max_body:
            raise ProtocolError("answer too large")
        return status, await reader.readexactly(length), keep_alive
    return status, await reader.read(max_body), False  # the body ends with the connection


async def _read_chunked(reader: asyncio.StreamReader, max_body: int) -> bytes:
    """A chunked body (trailers are read and ignored)."""
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            return bytes(body)
        body += await reader.readexactly(size)
        if len(body) > max_body:
            raise ProtocolError("answer too large")
        await reader.readexactly(2)


def _readable(writer: asyncio.StreamWriter) -> bool:
    """Whether an idle connection has something to read: the server's close, not yet seen by
    the event loop (or stray bytes); either way it is not reused. One non-blocking select()."""
    sock = writer.get_extra_info("socket")
    if sock is None:
        return False
    try:
        return bool(select.select([sock.fileno()], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _header_lines(headers: dict[str, str]) -> str:
    """``Name: value`` lines; a line break in either (header injection) is refused."""
    for name, value in headers.items():
        if not name or any(c in name for c in ":\r\n") or any(c in value for c in "\r\n"):
            raise ValueError(f"invalid HTTP header {name!r}")
    return "".join(f"{name}: {value}\r\n" for name, value in headers.items())


class KeepAlivePool:
    """POSTs to one origin (``http(s)://host[:port]``) on at most ``size`` kept-alive connections.

    Connections are taken from a free list, one request each at a time. No HTTP proxy.
    """

    def __init__(
        self,
        origin: str,
        *,
        size: int,
        user_agent: str,
        max_body: int = 1 << 20,
        tls: ssl.SSLContext | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        url = urlsplit(origin)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError("the URL must be http(s)://host[:port]")
        secure = url.scheme == "https"
        port = url.port or (443 if secure else 80)
        default_port = port == (443 if secure else 80)
        self._host_header = url.hostname if default_port else f"{url.hostname}:{port}"
        self._user_agent = user_agent
        self._extra = _header_lines(headers or {})  # sent with every request, e.g. a token
        context = (tls or ssl.create_default_context()) if secure else None
        self._free: asyncio.LifoQueue[_Connection] = asyncio.LifoQueue()
        self._connections = [
            _Connection(url.hostname, port, context, max_body) for _ in range(size)
        ]
        for connection in self._connections:
            self._free.put_nowait(connection)

    async def post(
        self, path: str, body: bytes, *, time_limit: float | None, content_type: str
    ) -> tuple[int, bytes]:
        """Status and body of one POST; raises TimeoutError or one of CONNECTION_ERRORS."""
        head = (
            f"POST {path} HTTP/1.1\r\n"
            f"Host: {self._host_header}\r\n"
            f"User-Agent: {self._user_agent}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n{self._extra}\r\n"
        ).encode("latin-1")
        async with asyncio.timeout(time_limit):
            connection = await self._free.get()
            try:
                return await connection.request(head, body)
            finally:
                self._free.put_nowait(connection)

    async def aclose(self) -> None:
        """Close the connections."""
        for connection in self._connections:
            connection.close()
