"""Simulated front desks: raw HTTP as a desk's sync engine sends it (sync.engine), on asyncio + httpx.

Each desk signs in and catches up from its cache (one desk per account pulls the whole account,
as a new desk does; the others start from that copy, as desks that were open yesterday do), then
keeps a long-poll open (/v1/sync/wait) and pulls
whenever it answers "changed". Staff check children in at front-desk rates: now and then between
classes, in a burst at every class change-over, when each desk also sends a class's register
(attendance marks in one push). After each push the desk pulls, as the engine's round does.
"""

from __future__ import annotations

import asyncio
import bisect
import random
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field

import httpx

from sync.core.ids import new_id, utcnow

WAIT_SECONDS = 20.0


@dataclass
class Rates:
    """Per desk. The defaults compress an afternoon: a change-over every `cycle` seconds."""

    quiet_every: float = 60.0  # mean seconds between check-ins between classes
    burst_every: float = 12.0  # mean seconds between check-ins during a change-over
    cycle: float = 60.0  # seconds from one change-over to the next (an hour, compressed)
    burst: float = 15.0  # how long a change-over lasts (its first quarter)
    register: int = 8  # attendance marks sent in one push, once per change-over


@dataclass
class Stats:
    """Latencies (seconds) and failures per route, and how soon other desks saw a change."""

    started: float = field(default_factory=time.monotonic)
    measuring_from: float = float("inf")
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    seen_after: list[float] = field(default_factory=list)
    rejected: int = 0
    ramp_took: float = float("nan")
    settled: int = 0  # desks signed in and caught up (or given up): the window starts when all are
    waits_answered: int = 0  # long-polls answered in the measured window (changed or timed out)
    committed: dict[str, dict[int, tuple[float, str]]] = field(default_factory=lambda: defaultdict(dict))
    # Wake-ups that came before the push's own answer reached its desk (the server rings as the
    # push commits): (account, after, head, desk, when), matched with the push once it is known.
    early: list[tuple[str, int, int, str, float]] = field(default_factory=list)
    _usns: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def measuring(self) -> bool:
        return time.monotonic() >= self.measuring_from

    def pushed(self, slug: str, usn: int, at: float, desk: str) -> None:
        self.committed[slug][usn] = (at, desk)
        bisect.insort(self._usns[slug], usn)

    def settle_early(self) -> None:
        """Count the wake-ups that beat the push's answer: seen at once (0 ms) by the other desks."""
        for slug, after, head, desk, _at in self.early:
            pushed = self.pushed_at(slug, after, head)
            if pushed is not None and pushed[1] != desk:
                self.seen_after.append(0.0)
        self.early.clear()

    def pushed_at(self, slug: str, after: int, head: int) -> tuple[float, str] | None:
        """When the newest push in (after, head] was answered, and by which desk."""
        usns = self._usns[slug]
        i = bisect.bisect_right(usns, head)
        return self.committed[slug][usns[i - 1]] if i and usns[i - 1] > after else None


class Desk:
    def __init__(self, base_url: str, account, number: int, stats: Stats, rates: Rates, stop: asyncio.Event, cache: dict):  # noqa: ANN001
        self.http = httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(60.0), limits=httpx.Limits(max_connections=4))
        self.account = account
        self.stats = stats
        self.rates = rates
        self.stop = stop
        self.id = new_id()
        self.secret = secrets.token_urlsafe(32)  # this desk's credential (sync.desk_credential), proved at each sign-in
        self.name = f"{account.slug} desk {number}"
        self.seq = 0
        self.cursor = 0
        self.headers: dict[str, str] = {}
        self.staff_id = ""
        self.students: list[str] = []
        self.sessions: list[str] = []
        self.location = ""
        self._round = asyncio.Lock()
        self.cache = cache  # the account's copy made by its first desk: {"ready": Event, "cursor", ...}

    async def _call(self, route: str, method: str, path: str, **kwargs) -> httpx.Response | None:
        began = time.perf_counter()
        try:
            response = await self.http.request(method, path, headers=self.headers, **kwargs)
        except httpx.HTTPError as exc:
            self.stats.errors[route].append(f"{type(exc).__name__}: {exc}"[:200])
            return None
        took = time.perf_counter() - began
        if response.status_code >= 300:
            self.stats.errors[route].append(f"{response.status_code} {response.text[:150]}")
            return None
        if route != "wait" and (self.stats.measuring() or route in ("login", "first pull")):
            self.stats.latencies[route].append(took)
        return response

    async def run(self, start_within: float) -> None:
        try:
            await asyncio.sleep(random.uniform(0, start_within))  # desks open over the morning, not at once
            if not await self.sign_in():
                self.stats.settled += 1
                return
            async with self._round:
                if "ready" not in self.cache:  # the account's first desk: a new desk, it pulls everything
                    self.cache["ready"] = asyncio.Event()
                    await self.pull("first pull")
                    self.cache.update(cursor=self.cursor, students=self.students, sessions=self.sessions, location=self.location)
                    self.cache["ready"].set()
                else:  # the others had their cache from yesterday: they catch up from its cursor
                    await self.cache["ready"].wait()
                    self.cursor, self.location = self.cache["cursor"], self.cache["location"]
                    self.students, self.sessions = self.cache["students"], self.cache["sessions"]
                    await self.pull()
            self.stats.settled += 1
            if not self.students:
                return
            await asyncio.gather(self.live(), self.work())
        finally:
            await self.http.aclose()

    async def sign_in(self) -> bool:
        r = await self._call("login", "POST", "/v1/auth/login", json={
            "account": self.account.slug, "username": self.account.username, "password": self.account.password,
            "desk_id": self.id, "desk_name": self.name, "desk_secret": self.secret,
            "enrollment_code": self.account.enrollment_code})  # fmt: skip
        if r is None:
            return False
        body = r.json()
        self.headers = {"Authorization": f"Bearer {body['access_token']}"}
        self.staff_id = body["staff"]["id"]
        return True

    async def pull(self, route: str = "pull") -> None:
        more = True
        while more:
            r = await self._call(route, "GET", "/v1/sync/pull", params={"after": self.cursor, "limit": 500})
            if r is None:
                return
            page = r.json()
            for change in page["changes"]:
                if route == "first pull":
                    self._learn(change)
            self.cursor, more = page["cursor"], page["more"]

    def _learn(self, change: dict) -> None:
        data = change.get("data") or {}
        if change["type"] == "student" and data.get("active", True):
            self.students.append(change["id"])
        elif change["type"] == "location" and not self.location:
            self.location = change["id"]
        elif change["type"] == "class_session":
            self.sessions.append((data.get("location_id"), change["id"]))

    async def live(self) -> None:
        while not self.stop.is_set():
            r = await self._call("wait", "GET", "/v1/sync/wait", params={"after": self.cursor, "timeout": WAIT_SECONDS})
            if r is None:
                await asyncio.sleep(1.0)
                continue
            answer = r.json()
            if self.stats.measuring():
                self.stats.waits_answered += 1
            if answer["changed"]:
                pushed = self.stats.pushed_at(self.account.slug, self.cursor, answer["head"])  # news to this desk only
                if pushed is not None and pushed[1] != self.id and self.stats.measuring():
                    self.stats.seen_after.append(max(0.0, time.monotonic() - pushed[0]))
                elif pushed is None and self.stats.measuring():
                    self.stats.early.append((self.account.slug, self.cursor, answer["head"], self.id, time.monotonic()))
                async with self._round:
                    await self.pull()

    async def work(self) -> None:
        sessions = [s for loc, s in self.sessions if loc == self.location] or [s for _loc, s in self.sessions]
        registered_in = -1
        while not self.stop.is_set():
            now = time.monotonic() - self.stats.started
            cycle, into = divmod(now, self.rates.cycle)
            burst = into < self.rates.burst
            if burst and registered_in != cycle and random.random() < 0.5:
                registered_in = int(cycle)
                await self.send(self._register(random.choice(sessions)))
            mean = self.rates.burst_every if burst else self.rates.quiet_every
            try:
                await asyncio.wait_for(self.stop.wait(), random.expovariate(1 / mean))
                return
            except TimeoutError:
                pass
            await self.send([self._check_in(random.choice(self.students), random.choice(sessions))])

    async def send(self, mutations: list[dict]) -> None:
        async with self._round:  # push then pull, as one round of the desk's engine
            r = await self._call("push", "POST", "/v1/sync/push", json={"mutations": mutations})
            if r is not None:
                at = time.monotonic()
                for result in r.json()["results"]:
                    if result["status"] == "applied" and result["usn"]:
                        self.stats.pushed(self.account.slug, result["usn"], at, self.id)
                    else:
                        self.stats.rejected += 1
            await self.pull()

    def _mutation(self, type_: str, payload: dict) -> dict:
        self.seq += 1
        return {"id": new_id(), "desk_id": self.id, "seq": self.seq, "staff_id": self.staff_id,
                "made_at": utcnow().isoformat() + "Z", "type": type_, "payload": payload}  # fmt: skip

    def _check_in(self, student: str, session: str) -> dict:
        return self._mutation("check_in", {
            "check_in_id": new_id(), "student_id": student, "location_id": self.location, "session_id": session,
            "mark_id": new_id(), "status": "present", "checked_in_at": utcnow().isoformat()})  # fmt: skip

    def _register(self, session: str) -> list[dict]:
        marks = random.sample(self.students, min(self.rates.register, len(self.students)))
        return [self._mutation("attendance.mark", {"mark_id": new_id(), "session_id": session, "student_id": s,
                                                   "status": random.choice(("present", "present", "absent"))})
                for s in marks]  # fmt: skip
