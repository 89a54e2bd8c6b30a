"""A small keep-alive HTTP/1.1 client on asyncio for the teacher's JSON requests to plain http:// servers.

Per request it does one write (head and body together), parses the answer as it arrives, and keeps
the connection for the next request: about a tenth of the CPU that httpx, httpcore, anyio and h11
spend on the same request (bench/client_cpu.py), which is what a client at hundreds of requests in
flight is limited by. It raises httpx's exception types (ConnectError, RemoteProtocolError), so callers
treat both clients alike. https:// and proxied servers keep httpx (labgen.teachers.http_pool).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class LeanResponse:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    content: bytes = b""
    queued_s: float = 0.0  # how long the request waited for a slot of a dispatching client

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
        self.owner: LeanClient | None = None  # a dispatching client: it takes the outcome (see LeanClient)
        self.exchange: _Exchange | None = None

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
        self._failed(_protocol_error(
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
        response = LeanResponse(self._status, self._headers, body)
        if self.owner is not None:
            self.owner._finished(self, response)
        else:
            self.waiter.set_result(response)

    def _failed(self, exc: Exception) -> None:
        if self.owner is not None:
            self.owner._failed(self, exc)
        elif self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    def _fail(self, exc: Exception) -> None:
        self._failed(exc)
        self.close()


@dataclass(eq=False)
class _Exchange:
    """One request of a dispatching client, from queued to answered."""

    data: bytes
    future: asyncio.Future[LeanResponse]
    state: str = "queued"  # queued, connecting, sent, done
    connection: _Connection | None = None
    reused: bool = False
    queued_at: float = 0.0
    sent_at: float = 0.0
    timer: asyncio.TimerHandle | None = None


class LeanClient:
    """post(url, content=...) and get(url) to one http:// server, over reused connections.

    With `limit`, at most that many requests are at the server at once and the rest wait in the client's
    queue; when an answer arrives, the next waiting request is written on the same connection inside
    the callback that read the answer, before the answer is handed to its caller. A slot then never
    waits for the event loop to resume the caller and wake the next request (two turns of a busy loop:
    at hundreds of requests in flight, most of a slot's idle time). `request_timeout` (with `limit`)
    counts from the moment a request is written, not while it waits in the queue. The response says how
    long it waited (`queued_s`).
    """

    def __init__(self, base_url: str, *, api_key: str, connect_timeout: float = 30.0, limit: int | None = None,
                 request_timeout: float | None = None) -> None:
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
        self.limit = limit
        self.request_timeout = request_timeout
        self._active = 0  # exchanges holding a slot (sent, connecting, or about to be retried)
        self._queue: deque[_Exchange] = deque()
        self._tasks: set[asyncio.Task[None]] = set()

    async def post(self, url: str, *, content: bytes) -> LeanResponse:
        return await self._request(b"POST", url, content)

    async def get(self, url: str) -> LeanResponse:
        return await self._request(b"GET", url, b"")

    @property
    def dispatching(self) -> bool:
        """Whether this client keeps the in-flight limit itself (a caller then needs no semaphore)."""
        return self.limit is not None

    async def aclose(self) -> None:
        while self._queue:
            exchange = self._queue.popleft()
            if not exchange.future.done():
                exchange.future.set_exception(_protocol_error("the client was closed"))
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
        if self.limit is not None:
            return await self._dispatched(data)
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

    # ----- the dispatching mode (limit set) ------------------------------------------------------
    async def _dispatched(self, data: bytes) -> LeanResponse:
        loop = asyncio.get_running_loop()
        exchange = _Exchange(data, loop.create_future(), queued_at=loop.time())
        if self._active < self.limit and not self._queue:  # type: ignore[operator]
            self._active += 1
            self._begin(exchange)
        else:
            self._queue.append(exchange)
        try:
            response = await exchange.future
        except asyncio.CancelledError:
            self._abandon(exchange)
            raise
        response.queued_s = exchange.sent_at - exchange.queued_at
        return response

    def _begin(self, exchange: _Exchange) -> None:
        """Send an exchange that holds a slot: on an idle connection now, else on a new one."""
        connection = self._idle_connection()
        if connection is not None:
            self._start(connection, exchange, reused=True)
        else:
            self._connect_later(exchange)

    def _connect_later(self, exchange: _Exchange) -> None:
        """Send the exchange (it holds a slot) on a new connection, made by a task."""
        exchange.state = "connecting"
        task = asyncio.ensure_future(self._connect_and_start(exchange))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect_and_start(self, exchange: _Exchange) -> None:
        try:
            connection = await self._connect()
        except Exception as exc:  # ConnectError / ConnectTimeout: the caller learns it, the slot goes on
            exchange.state = "done"
            self._hand_off(None)
            if not exchange.future.done():
                exchange.future.set_exception(exc)
            return
        if exchange.future.done():  # its caller gave up while the connection was made
            exchange.state = "done"
            self._hand_off(connection)
            return
        self._start(connection, exchange, reused=False)

    def _start(self, connection: _Connection, exchange: _Exchange, *, reused: bool) -> None:
        assert connection.transport is not None
        loop = asyncio.get_running_loop()
        exchange.state, exchange.connection, exchange.reused = "sent", connection, reused
        exchange.sent_at = loop.time()
        connection.owner, connection.exchange, connection.waiter = self, exchange, exchange.future
        connection.got_bytes = False
        connection._headers = None
        if self.request_timeout:
            exchange.timer = loop.call_later(self.request_timeout, self._timed_out, exchange)
        connection.transport.write(exchange.data)

    def _settle(self, connection: _Connection) -> _Exchange | None:
        """The connection's exchange, detached from it (None if it has none: abandoned)."""
        exchange, connection.exchange = connection.exchange, None
        if exchange is not None:
            exchange.state = "done"
            if exchange.timer is not None:
                exchange.timer.cancel()
        return exchange

    def _finished(self, connection: _Connection, response: LeanResponse) -> None:
        exchange = self._settle(connection)
        reusable = connection.keep_alive and not connection.closed
        if not reusable:
            self._drop(connection)
        if exchange is None:
            return
        self._hand_off(connection if reusable else None)  # the next request goes out first
        if not exchange.future.done():
            exchange.future.set_result(response)

    def _failed(self, connection: _Connection, exc: Exception) -> None:
        exchange = self._settle(connection)
        self._drop(connection)
        if exchange is None:
            return
        if exchange.reused and not connection.got_bytes and _is_protocol_error(exc) and not exchange.future.done():
            self._connect_later(exchange)  # a kept-alive connection the server had closed: once more, same slot
            return
        self._hand_off(None)
        if not exchange.future.done():
            exchange.future.set_exception(exc)

    def _timed_out(self, exchange: _Exchange) -> None:
        import httpx

        connection = exchange.connection
        if connection is None or connection.exchange is not exchange:
            return
        self._settle(connection)
        self._drop(connection)  # in an unknown state: a late answer must not reach the next request
        self._hand_off(None)
        if not exchange.future.done():
            exchange.future.set_exception(httpx.ReadTimeout(f"no answer within {self.request_timeout:g} s"))

    def _abandon(self, exchange: _Exchange) -> None:
        """The caller was cancelled: a queued exchange is skipped later; a sent one loses its connection."""
        if exchange.state == "sent" and exchange.connection is not None \
                and exchange.connection.exchange is exchange:
            self._settle(exchange.connection)
            self._drop(exchange.connection)
            self._hand_off(None)
        # "connecting": _connect_and_start sees the cancelled future and passes the slot on

    def _hand_off(self, connection: _Connection | None) -> None:
        """A slot is free: the next waiting request takes it (on `connection` when given), else it is
        returned and `connection` goes idle."""
        while self._queue:
            exchange = self._queue.popleft()
            if exchange.future.done():  # its caller gave up while it waited
                continue
            if connection is not None:
                self._start(connection, exchange, reused=True)
            else:
                self._begin(exchange)
            return
        self._active -= 1
        if connection is not None:
            connection.owner = None
            self._idle.append(connection)

    def _drop(self, connection: _Connection) -> None:
        connection.owner = None
        connection.close()
        self._all.discard(connection)

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


def make_chat_client(limit: int, request_timeout: float, api_key: str, base_url: str, *,
                     dispatch: bool = False) -> Any:
    """The lean client for a plain http:// server reached directly; httpx for https:// or through a proxy.
    `dispatch`: the lean client keeps `limit` itself (see LeanClient), timing each request from its write."""
    if base_url.startswith("http://") and not uses_proxy(base_url):
        return LeanClient(base_url, api_key=api_key, connect_timeout=min(request_timeout, 30.0),
                          limit=limit if dispatch else None, request_timeout=request_timeout if dispatch else None)
    from labgen.teachers.http_pool import make_http_client

    return make_http_client(limit, request_timeout, api_key, base_url)
