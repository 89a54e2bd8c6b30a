"""A small keep-alive HTTP/1.1 client on asyncio for the teacher's JSON requests to plain http:// servers.

Per request it does one write (head and body together), parses the answer as it arrives, and keeps
the connection for the next request: about a tenth of the CPU that httpx, httpcore, anyio and h11
spend on the same request (bench/client_cpu.py), which is what a client at hundreds of requests in
flight is limited by. It raises httpx's exception types (ConnectError, RemoteProtocolError), so callers
treat both clients alike. https:// and proxied servers keep httpx (labgen.teachers.http_pool).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class LeanResponse:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    content: bytes = b""

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


def _protocol_error(message: str) -> Exception:
    import httpx

    return httpx.RemoteProtocolError(message)


class _Connection(asyncio.Protocol):
    """One TCP connection: sends a request, parses one response at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[LeanResponse] | None = None
        self.closed = False
        self.got_bytes = False  # any byte of the current response arrived
        self.keep_alive = True
        self._status = 0
        self._headers: dict[str, str] | None = None
        self._length: int | None = None  # body length; None: chunked or until close
        self._chunked = False

    # ----- asyncio callbacks ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.got_bytes = True
        if self.waiter is not None and not self.waiter.done():
            try:
                self._parse()
            except ValueError as exc:
                self._fail(_protocol_error(f"unreadable HTTP response ({exc})"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if self._headers is not None and self._length is None and not self._chunked:
            self._finish(bytes(self.buffer))  # a body that ends with the connection
            return
        waiter.set_exception(_protocol_error(
            "the server closed the connection before the response was complete"
            if self.got_bytes else "the server closed the connection without a response"))

    # ----- one exchange ---------------------------------------------------------------------
    def send(self, data: bytes) -> asyncio.Future[LeanResponse]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.got_bytes = False
        self._headers = None
        self.transport.write(data)
        return self.waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _parse(self) -> None:
        buffer = self.buffer
        if self._headers is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
            del buffer[:end + 4]
            version, _, rest = lines[0].partition(" ")
            self._status = int(rest[:3])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            self._headers = headers
            connection = headers.get("connection", "").lower()
            self.keep_alive = "close" not in connection and (version != "HTTP/1.0" or "keep-alive" in connection)
            self._chunked = "chunked" in headers.get("transfer-encoding", "").lower()
            length = headers.get("content-length")
            self._length = int(length) if length is not None and not self._chunked else None
            if self._status in (204, 304):
                self._length = 0
            if self._length is None and not self._chunked:
                self.keep_alive = False  # the body ends when the connection does
        if self._length is not None:
            if len(buffer) >= self._length:
                body = bytes(buffer[:self._length])
                del buffer[:self._length]
                self._finish(body)
        elif self._chunked:
            body = self._dechunk()
            if body is not None:
                self._finish(body)

    def _dechunk(self) -> bytes | None:
        """The whole body once its last chunk (and trailers) arrived, removed from the buffer; None before."""
        buffer, position, parts = self.buffer, 0, []
        while True:
            end = buffer.find(b"\r\n", position)
            if end < 0:
                return None
            size = int(bytes(buffer[position:end]).split(b";")[0].strip(), 16)
            if size == 0:
                last = buffer.find(b"\r\n\r\n", end)  # after the trailers, usually none
                if last < 0:
                    return None
                del buffer[:last + 4]
                return b"".join(parts)
            start = end + 2
            if len(buffer) < start + size + 2:
                return None
            parts.append(bytes(buffer[start:start + size]))
            position = start + size + 2

    def _finish(self, body: bytes) -> None:
        assert self.waiter is not None and self._headers is not None
        self.waiter.set_result(LeanResponse(self._status, self._headers, body))

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        self.close()


class LeanClient:
    """post(url, content=...) and get(url) to one http:// server, over reused connections."""

    def __init__(self, base_url: str, *, api_key: str, connect_timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"LeanClient speaks plain http only, not {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.connect_timeout = connect_timeout
        authority = parts.netloc.rpartition("@")[2]
        self._fixed = (f"Host: {authority}\r\nAuthorization: Bearer {api_key}\r\n"
                       "Content-Type: application/json\r\nAccept: application/json\r\n").encode("latin-1")
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()
        self._paths: dict[str, bytes] = {}

    async def post(self, url: str, *, content: bytes) -> LeanResponse:
        return await self._request(b"POST", url, content)

    async def get(self, url: str) -> LeanResponse:
        return await self._request(b"GET", url, b"")

    async def aclose(self) -> None:
        for connection in list(self._all):
            connection.close()
        self._all.clear()
        self._idle.clear()

    async def _request(self, method: bytes, url: str, body: bytes) -> LeanResponse:
        path = self._paths.get(url)
        if path is None:
            parts = urlsplit(url)
            path = self._paths[url] = ((parts.path or "/") + (f"?{parts.query}" if parts.query else "")).encode()
        data = b"".join((method, b" ", path, b" HTTP/1.1\r\n", self._fixed,
                         b"Content-Length: %d\r\n\r\n" % len(body), body))
        while True:
            connection = self._idle_connection()
            reused = connection is not None
            if connection is None:
                connection = await self._connect()
            try:
                response = await connection.send(data)
            except Exception as exc:
                connection.close()
                self._all.discard(connection)
                if reused and not connection.got_bytes and _is_protocol_error(exc):
                    continue  # a kept-alive connection the server had closed: once more on a fresh one
                raise
            except BaseException:  # cancelled (a timeout): the connection is in an unknown state
                connection.close()
                self._all.discard(connection)
                raise
            if connection.keep_alive and not connection.closed:
                self._idle.append(connection)
            else:
                connection.close()
                self._all.discard(connection)
            return response

    def _idle_connection(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection
            self._all.discard(connection)
        return None

    async def _connect(self) -> _Connection:
        import httpx

        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, connection = await loop.create_connection(_Connection, self.host, self.port)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {self.host}:{self.port} within "
                                       f"{self.connect_timeout:g} s") from None
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from None
        self._all.add(connection)
        return connection


def _is_protocol_error(exc: BaseException) -> bool:
    import httpx

    return isinstance(exc, httpx.RemoteProtocolError)


def uses_proxy(base_url: str) -> bool:
    """Whether the environment routes `base_url` through a proxy (HTTP_PROXY, ALL_PROXY, NO_PROXY), as httpx does."""
    import urllib.request

    proxies = urllib.request.getproxies_environment()
    scheme = urlsplit(base_url).scheme
    if not (proxies.get(scheme) or proxies.get("all")):
        return False
    host = urlsplit(base_url).hostname or ""
    return not urllib.request.proxy_bypass_environment(host, proxies)


def make_chat_client(limit: int, request_timeout: float, api_key: str, base_url: str) -> Any:
    """The lean client for a plain http:// server reached directly; httpx for https:// or through a proxy."""
    if base_url.startswith("http://") and not uses_proxy(base_url):
        return LeanClient(base_url, api_key=api_key, connect_timeout=min(request_timeout, 30.0))
    from labgen.teachers.http_pool import make_http_client

    return make_http_client(limit, request_timeout, api_key, base_url)
