"""The lean HTTP/1.1 client: bodies by length, chunks or close; kept-alive connections; errors as httpx's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from labgen.teachers.http_lean import LeanClient, make_chat_client, uses_proxy
from labgen.teachers.http_pool import make_http_client
from tests.teachers.conftest import free_port


async def serve(answer: Callable[[int, bytes], bytes | None]) -> tuple[asyncio.AbstractServer, list[int], list[bytes]]:
    """A raw server: answer(connection number, request) gives the bytes to send (None: close the connection)."""
    connections: list[int] = []
    requests: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = len(connections)
        connections.append(number)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length")), 0)
                request = head + await reader.readexactly(length)
                requests.append(request)
                reply = answer(number, request)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, connections, requests


def url_of(server: asyncio.AbstractServer) -> str:
    return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"


# Every client test runs twice: a plain client, and one that keeps an in-flight limit itself.
MODES = pytest.mark.parametrize("limit", [None, 2], ids=["plain", "dispatching"])
OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"ok\":true}"


@MODES
def test_request_head_and_keep_alive(limit: int | None) -> None:
    async def main() -> None:
        server, connections, requests = await serve(lambda n, r: OK)
        client = LeanClient(url_of(server), api_key="sk-1", limit=limit)
        for _ in range(3):
            response = await client.post(url_of(server) + "/chat/completions", content=b'{"a":1}')
            assert (response.status_code, response.content) == (200, b'{"ok":true}')
        assert (await client.get(url_of(server) + "/models")).status_code == 200
        await client.aclose()
        server.close()
        assert len(connections) == 1  # one connection, kept alive
        head = requests[0].decode()
        assert head.startswith("POST /v1/chat/completions HTTP/1.1\r\n")
        assert "Authorization: Bearer sk-1\r\n" in head and "Content-Length: 7\r\n" in head
        assert head.endswith('\r\n\r\n{"a":1}') and requests[3].startswith(b"GET /v1/models HTTP/1.1")

    asyncio.run(main())


async def one_shot(reply: bytes) -> asyncio.AbstractServer:
    """A server that answers each connection's first request with `reply`, then closes it."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(reply)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


@MODES
def test_chunked_and_close_delimited_bodies(limit: int | None) -> None:
    chunked = (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
               b"4\r\n{\"a\"\r\n5;ext=1\r\n:1234\r\n1\r\n}\r\n0\r\n\r\n")
    until_close = b"HTTP/1.0 503 Service Unavailable\r\nretry-after: 2\r\n\r\nbusy, come back"

    async def main() -> None:
        server, connections, _ = await serve(lambda n, r: chunked)
        client = LeanClient(url_of(server), api_key="k", limit=limit)
        for _ in range(2):  # the connection stays usable after a chunked body
            assert (await client.post(url_of(server) + "/x", content=b"{}")).content == b'{"a":1234}'
        assert len(connections) == 1
        await client.aclose()
        server.close()
        closing = await one_shot(until_close)
        client = LeanClient(url_of(closing), api_key="k", limit=limit)
        response = await client.get(url_of(closing) + "/models")
        assert (response.status_code, response.text, response.headers["retry-after"]) == (503, "busy, come back", "2")
        await client.aclose()
        closing.close()

    asyncio.run(main())


@MODES
def test_a_kept_alive_connection_the_server_closed_is_replaced_once(limit: int | None) -> None:
    async def main() -> None:
        # Connection 0 answers once, then closes on the next request without a byte of response.
        seen: dict[int, int] = {}

        def answer(number: int, request: bytes) -> bytes | None:
            seen[number] = seen.get(number, 0) + 1
            return OK if number > 0 or seen[number] == 1 else None

        server, connections, requests = await serve(answer)
        client = LeanClient(url_of(server), api_key="k", limit=limit)
        assert (await client.post(url_of(server) + "/x", content=b"1")).status_code == 200
        assert (await client.post(url_of(server) + "/x", content=b"2")).status_code == 200
        assert len(connections) == 2 and len(requests) == 3
        await client.aclose()
        server.close()

    asyncio.run(main())


@MODES
def test_errors_are_httpx_types(limit: int | None) -> None:
    async def main() -> None:
        url = f"http://127.0.0.1:{free_port()}/v1"
        with pytest.raises(httpx.ConnectError):
            await LeanClient(url, api_key="k", limit=limit).get(url + "/models")
        truncated = await one_shot(b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n{\"trunc")
        client = LeanClient(url_of(truncated), api_key="k", limit=limit)
        with pytest.raises(httpx.RemoteProtocolError, match="before the response was complete"):
            await client.post(url_of(truncated) + "/x", content=b"{}")
        garbled = await one_shot(b"HTTP/1.1 abc\r\n\r\n")
        with pytest.raises(httpx.RemoteProtocolError, match="unreadable"):
            await LeanClient(url_of(garbled), api_key="k", limit=limit).get(url_of(garbled) + "/x")
        truncated.close()
        garbled.close()

    asyncio.run(main())


def test_which_client_serves_which_url(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(make_chat_client(8, 10, "k", "http://gpu-box:8000/v1"), LeanClient)
    assert isinstance(make_chat_client(8, 10, "k", "https://api.example.com/v1"), httpx.AsyncClient)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy:3128")
    assert uses_proxy("http://gpu-box:8000/v1")
    assert isinstance(make_chat_client(8, 10, "k", "http://gpu-box:8000/v1"), httpx.AsyncClient)
    monkeypatch.setenv("NO_PROXY", "gpu-box")
    assert not uses_proxy("http://gpu-box:8000/v1")
    assert make_http_client  # LangChain's ChatOpenAI keeps an httpx client


async def slow_echo(delay: Callable[[bytes], float | None]) -> tuple[asyncio.AbstractServer, dict[str, int]]:
    """A server that answers each request with its own body after delay(body) seconds (None: never), and
    counts how many it holds at once."""
    counts = {"now": 0, "most": 0, "requests": 0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))
                body = await reader.readexactly(length)
                counts["requests"] += 1
                counts["now"] += 1
                counts["most"] = max(counts["most"], counts["now"])
                wait = delay(body)
                if wait is None:
                    await asyncio.sleep(3600)
                await asyncio.sleep(wait or 0.0)
                counts["now"] -= 1
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), counts


def test_a_dispatching_client_keeps_its_limit_and_answers_each_request_its_own() -> None:
    async def main() -> None:
        server, counts = await slow_echo(lambda body: 0.02)
        client = LeanClient(url_of(server), api_key="k", limit=3)
        bodies = [b'{"n":%d}' % i for i in range(20)]
        answers = await asyncio.gather(*(client.post(url_of(server) + "/x", content=b) for b in bodies))
        assert [a.content for a in answers] == bodies
        assert counts["most"] == 3 and counts["requests"] == 20
        assert answers[0].queued_s < 0.05 < max(a.queued_s for a in answers)  # the first connected, the last waited
        assert client._active == 0 and len(client._all) <= 3
        await client.aclose()
        server.close()

    asyncio.run(main())


def test_the_timeout_counts_from_the_write_not_the_wait() -> None:
    async def main() -> None:
        server, _ = await slow_echo(lambda body: 0.15)
        client = LeanClient(url_of(server), api_key="k", limit=1, request_timeout=0.4)
        answers = await asyncio.gather(*(client.post(url_of(server) + "/x", content=b"%d" % i) for i in range(4)))
        assert [a.status_code for a in answers] == [200] * 4  # the last waited 0.45 s, longer than the timeout
        await client.aclose()
        server.close()

    asyncio.run(main())


def test_a_timed_out_or_cancelled_request_gives_its_slot_back() -> None:
    async def main() -> None:
        server, counts = await slow_echo(lambda body: None if body.startswith(b"hang") else 0.0)
        client = LeanClient(url_of(server), api_key="k", limit=1, request_timeout=0.2)
        url = url_of(server) + "/x"
        with pytest.raises(httpx.ReadTimeout):
            await client.post(url, content=b"hang")
        assert (await client.post(url, content=b"ok")).content == b"ok"
        # one in flight, one waiting: both cancelled, and the slot is free again
        patient = LeanClient(url_of(server), api_key="k", limit=1)
        sent = asyncio.ensure_future(patient.post(url, content=b"hang too"))
        waiting = asyncio.ensure_future(patient.post(url, content=b"queued"))
        await asyncio.sleep(0.1)
        assert len(patient._queue) == 1
        sent.cancel()
        waiting.cancel()
        await asyncio.gather(sent, waiting, return_exceptions=True)
        assert (await asyncio.wait_for(patient.post(url, content=b"after"), 2)).content == b"after"
        assert patient._active == 0 and client._active == 0
        await client.aclose()
        await patient.aclose()
        server.close()

    asyncio.run(main())
