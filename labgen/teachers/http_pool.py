"""HTTP connections for the OpenAI-compatible backend: many small httpx pools instead of one big one.

httpcore's pool bookkeeping is quadratic in the pool's size (each request start and end scans every
connection, and for each idle one counts them all again), which at 256 connections costs more CPU
than the request itself. Spreading requests over pools of at most SHARD_SIZE connections, each
request going to the least busy pool, keeps that cost flat; see docs/teachers.md for the figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

SHARD_SIZE = 8


class ShardedClient:
    """Pools enough for `max_in_flight` requests at once, so no request ever waits for a connection."""

    def __init__(self, *, max_in_flight: int, request_timeout: float, headers: dict[str, str],
                 shard_size: int = SHARD_SIZE) -> None:
        import httpx

        shards = max(1, -(-max_in_flight // shard_size))
        per_shard = -(-max_in_flight // shards) + 1  # least-busy routing never puts more on one pool
        timeout = httpx.Timeout(request_timeout, connect=min(request_timeout, 30.0))
        tls = httpx.create_ssl_context()  # one for all pools: building one costs ~60 ms of CPU
        self.clients = [httpx.AsyncClient(limits=httpx.Limits(max_connections=per_shard,
                                                              max_keepalive_connections=per_shard),
                                          timeout=timeout, headers=headers, verify=tls) for _ in range(shards)]
        self.busy = [0] * shards

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        busy = self.busy
        index = busy.index(min(busy)) if len(busy) > 1 else 0
        busy[index] += 1
        try:
            return await self.clients[index].request(method, url, **kwargs)
        finally:
            busy[index] -= 1

    async def post(self, url: str, *, content: bytes) -> httpx.Response:
        return await self.request("POST", url, content=content)

    async def get(self, url: str) -> httpx.Response:
        return await self.request("GET", url)

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()
