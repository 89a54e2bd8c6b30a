"""HTTP connections for the OpenAI-compatible backend: many small httpx pools instead of one big one.

httpcore's pool bookkeeping is quadratic in the pool's size (each request start and end scans every
connection, and for each idle one counts them all again), which at 64-256 connections costs more CPU
than the request itself. ShardedTransport spreads requests over pools of at most SHARD_SIZE
connections, each request going to the least busy pool, which keeps that cost flat. It is an ordinary
httpx transport, so it also serves clients we do not drive ourselves (LangChain's ChatOpenAI).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

SHARD_SIZE = 8


def make_http_client(max_in_flight: int, request_timeout: float, api_key: str,
                     base_url: str = "https://") -> httpx.AsyncClient:
    """An httpx client with room for `max_in_flight` requests at once (httpx's default caps at 100)."""
    import httpx

    return httpx.AsyncClient(
        transport=sharded_transport(max_in_flight, tls=base_url.startswith("https:")),
        timeout=httpx.Timeout(request_timeout, connect=min(request_timeout, 30.0)),
        headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"})


def sharded_transport(max_in_flight: int, shard_size: int = SHARD_SIZE, tls: bool = True) -> httpx.AsyncBaseTransport:
    import httpx

    class ShardedTransport(httpx.AsyncBaseTransport):
        """Least-busy routing over small pools; together they hold max_in_flight connections and more."""

        def __init__(self) -> None:
            shards = max(1, -(-max_in_flight // shard_size))
            per_shard = -(-max_in_flight // shards) + 1  # least-busy routing never puts more on one pool
            # One TLS context shared by all pools (loading the CA bundle costs ~60 ms; even an unverified
            # context costs ~2 ms each); plain http skips the CA bundle.
            verify = httpx.create_ssl_context(verify=tls)
            limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
            self.pools = [httpx.AsyncHTTPTransport(limits=limits, verify=verify) for _ in range(shards)]
            self.busy = [0] * shards

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            busy = self.busy
            index = busy.index(min(busy)) if len(busy) > 1 else 0
            busy[index] += 1
            try:
                response = await self.pools[index].handle_async_request(request)
                await response.aread()  # bodies are small JSON: read here so the slot is freed on return
                return response
            finally:
                busy[index] -= 1

        async def aclose(self) -> None:
            for pool in self.pools:
                await pool.aclose()

    return ShardedTransport()
