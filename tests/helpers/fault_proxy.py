"""A fault-injecting TCP proxy on loopback, for tests: cuts, stalls and truncates connections.

It runs its own asyncio loop in a background thread, so tests on any loop (and desk processes
started by a test) can go through it. Faults are chosen per request, when a request's first bytes
go by: either the next ones asked for (`fail_next`, optionally only for requests whose first line
contains a path) or, with `chaos > 0`, at random.

    cut_request        half the request reaches the server, then both sides are reset: nothing applied
    cut_response       the whole request reaches the server and it answers; the answer is dropped and
                       the connection reset: "the response was lost after the server committed"
    truncate_response  the first half of the answer arrives, then a reset
    stall              the request waits `stall_seconds` before it is passed on
    refuse             the connection is reset before anything is passed on

    with FaultProxy(server.port) as proxy:
        client = ApiClient(http, proxy.url)
        proxy.fail_next("cut_response", path="/v1/sync/push")
"""

from __future__ import annotations

import asyncio
import collections
import random
import threading
from typing import Literal

from tests.helpers.enrollment import alias

Fault = Literal["cut_request", "cut_response", "truncate_response", "stall", "refuse"]
CHAOS_FAULTS: tuple[Fault, ...] = ("cut_request", "cut_response", "truncate_response", "stall", "refuse")


class _Reset(Exception):
    pass


class FaultProxy:
    def __init__(self, target_port: int, *, chaos: float = 0.0, seed: int = 0, stall_seconds: float = 1.0,
                 chaos_paths: tuple[str, ...] = ("/v1/sync/",)):
        self.target_port = target_port
        self.chaos = chaos
        self.stall_seconds = stall_seconds
        self.chaos_paths = chaos_paths
        self.injected: collections.Counter[str] = collections.Counter()
        self.requests = 0
        self._down = False
        self._open: set[asyncio.StreamWriter] = set()
        self._planned: list[tuple[Fault, str | None]] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def faults(self) -> int:
        return sum(self.injected.values())

    @property
    def down(self) -> bool:
        """True: open connections are reset and new ones refused (the network is gone)."""
        return self._down

    @down.setter
    def down(self, value: bool) -> None:
        self._down = value
        if value and self._server is not None:
            asyncio.run_coroutine_threadsafe(self._reset_all(), self._loop).result(10)

    async def _reset_all(self) -> None:
        for writer in list(self._open):
            _reset(writer)

    def fail_next(self, fault: Fault, path: str | None = None, times: int = 1) -> None:
        with self._lock:
            self._planned += [(fault, path)] * times

    def planned(self) -> int:
        with self._lock:
            return len(self._planned)

    def start(self) -> FaultProxy:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self._loop
        ).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        alias(self.url, f"http://127.0.0.1:{self.target_port}")  # the same server's enrollment codes
        return self

    def stop(self) -> None:
        if self._server is not None:
            server = self._server

            async def close() -> None:
                server.close()
                tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

            asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
            self._server = None
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- inside the proxy's loop ------------------------------------------------------------

    def _choose(self, first_line: bytes) -> Fault | None:
        line = first_line.decode("latin-1", "replace")
        with self._lock:
            self.requests += 1
            for i, (fault, path) in enumerate(self._planned):
                if path is None or path in line:
                    del self._planned[i]
                    self.injected[fault] += 1
                    return fault
            if self.chaos and any(p in line for p in self.chaos_paths) and self._random.random() < self.chaos:
                fault = self._random.choice(CHAOS_FAULTS)
                self.injected[fault] += 1
                return fault
        return None

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self._down:
            self.injected["refuse"] += 1
            _reset(client_w)
            return
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            _reset(client_w)  # the server is down: the desk sees a refused/reset connection
            return
        fault: list[Fault | None] = [None]
        self._open |= {client_w, server_w}

        async def upstream() -> None:
            while data := await client_r.read(65536):
                if _starts_request(data):
                    fault[0] = self._choose(data.split(b"\r\n", 1)[0])
                f = fault[0]
                if f == "refuse":
                    raise _Reset
                if f == "cut_request":
                    server_w.write(data[: max(1, len(data) // 2)])
                    await server_w.drain()
                    raise _Reset
                if f == "stall":
                    await asyncio.sleep(self.stall_seconds)
                server_w.write(data)
                await server_w.drain()
            server_w.write_eof()

        async def downstream() -> None:
            while data := await server_r.read(65536):
                f = fault[0]
                if f == "cut_response":
                    raise _Reset
                if f == "truncate_response":
                    client_w.write(data[: max(1, len(data) // 2)])
                    await client_w.drain()
                    raise _Reset
                client_w.write(data)
                await client_w.drain()
            raise _Reset  # the server closed (or was killed): so does the desk's side

        tasks = [asyncio.ensure_future(upstream()), asyncio.ensure_future(downstream())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            _reset(client_w)
            _reset(server_w)
            self._open -= {client_w, server_w}


_METHODS = (b"GET ", b"POST ", b"PUT ", b"DELETE ", b"PATCH ", b"HEAD ")


def _starts_request(data: bytes) -> bool:
    return data.startswith(_METHODS)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a reset (RST), the way a cut cable or a killed process looks to the other side."""
    transport = writer.transport
    if not transport.is_closing():
        transport.abort()
