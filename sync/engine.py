"""SyncEngine: the background loop that sends the outbox and brings the server's changes.

One round = push every pending mutation in seq order, in batches, recording each result; then
pull pages after the cache's cursor until the server says there is no more. Rounds run:
at once when kicked (DeskStore kicks after every local write), every `pull_interval` seconds
while online, and, while the server cannot be reached, after an exponential backoff with jitter
(`backoff_min` doubling up to `backoff_max`) so that the desk comes back by itself.

Nothing is lost and nothing is applied twice: a mutation leaves "pending" only when the server
has answered for it, and the server answers a re-pushed (desk_id, seq) with its first result.
A rejected mutation is recorded as such (never retried, never blocking the ones after it) and
its local effects are taken back from the cache.

    engine = SyncEngine(store, client)        # registers itself as the store's write listener
    engine.subscribe(status_bar.show)         # called with a SyncStatus on every change
    engine.start()                            # needs a running event loop (qasync at the desk)
    ...
    await engine.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from sync.client import ApiClient
from sync.errors import AuthError, NetworkError, RejectedError, ServerError, SyncError
from sync.core.clock import utc_naive
from sync.core.schema import RECORD_TYPES
from sync.store import DeskStore
from sync.views import SyncStatus
from sync.core.waits import wait_set
from sync.core.wire import DEFAULT_PULL_PAGE, MAX_PULL_PAGE, MAX_PUSH_BATCH, Mutation, MutationResult, PullResponse

log = logging.getLogger(__name__)

UNEXPECTED = "Sending to the server stopped because of a problem in Frontdesk. Your work is saved; it will try again."

StatusCallback = Callable[[SyncStatus], None]
ChangesCallback = Callable[[frozenset[str]], None]
ProgressCallback = Callable[[int, int], None]  # (changes brought so far, changes to bring), during a pull
UPDATE_REQUIRED = "update_required"


class SyncEngine:
    def __init__(
        self,
        store: DeskStore,
        client: ApiClient,
        *,
        pull_interval: float = 8.0,
        backoff_min: float = 1.0,
        backoff_max: float = 30.0,
        push_batch: int = MAX_PUSH_BATCH,
        pull_limit: int | None = None,
        live: bool = True,
        wait_timeout: float = 10.0,
    ):
        self.store = store
        self.client = client
        self.pull_interval = pull_interval
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self.push_batch = min(push_batch, MAX_PUSH_BATCH)
        # Changes per pull page; None: the server's largest page when the pull starts from nothing
        # (a first pull, or types never pulled here: a few hundred transactions fewer for a big
        # account), the usual page when catching up.
        self.pull_limit = pull_limit
        counts = store.outbox.counts()
        self.status = SyncStatus(
            pending=counts["pending"], rejected=counts["rejected"] + store.attention_count(), last_sync=store.cache.last_sync()
        )
        self._status_listeners: list[StatusCallback] = []
        self._change_listeners: list[ChangesCallback] = []
        self._progress_listeners: list[ProgressCallback] = []
        # Live: a long-poll (/v1/sync/wait) wakes a round as soon as another desk's change is on
        # the server; when it fails, the periodic pull every `pull_interval` still runs.
        self.live = live
        self.wait_timeout = wait_timeout
        self._watch_task: asyncio.Task[None] | None = None
        self.live_wakes = 0  # rounds the long-poll started (figures for tests and benchmarks)
        self._wake = asyncio.Event()
        self._round_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.failures = 0  # rounds failed in a row (drives the backoff)
        store.add_write_listener(self.kick)

    # -- for the UI ------------------------------------------------------------------------

    def subscribe(self, callback: StatusCallback) -> Callable[[], None]:
        """Call `callback(status)` on every status change; returns a function that unsubscribes."""
        self._status_listeners.append(callback)
        return lambda: self._status_listeners.remove(callback)

    def subscribe_changes(self, callback: ChangesCallback) -> Callable[[], None]:
        """Call `callback(record_types)` after a pull brought changes (e.g. {"attendance"}): redraw those."""
        self._change_listeners.append(callback)
        return lambda: self._change_listeners.remove(callback)

    def subscribe_progress(self, callback: ProgressCallback) -> Callable[[], None]:
        """Call `callback(done, total)` after each pull page (a first or rebuilding pull shows a bar)."""
        self._progress_listeners.append(callback)
        return lambda: self._progress_listeners.remove(callback)

    def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name="frontdesk-sync")
        if self.live:
            self._watch_task = self._loop.create_task(self._watch(), name="frontdesk-live")

    async def stop(self) -> None:
        watch, self._watch_task = self._watch_task, None
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._update(syncing=False)  # a round cut short by the cancel never said so itself

    def kick(self) -> None:
        """Sync as soon as possible (safe from any thread)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not loop:
                loop.call_soon_threadsafe(self.kick)
                return
        self._wake.set()
        self._update(pending=self.store.outbox.pending_count())

    async def sync_now(self) -> SyncStatus:
        """One full round now (waits for a running one first); the outcome is in the status."""
        await self._round()
        return self.status

    # -- the loop --------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # a kick during the round below asks for one more round
            ok = await self._round()
            if ok:
                delay: float | None = self.pull_interval
            elif self.status.needs_sign_in:
                delay = None  # nothing to do until someone signs in (and kicks)
            else:
                delay = self._backoff()
                # Offline, a burst of kicks (every local write kicks) must not turn into a burst of
                # failing rounds: wait the shortest backoff whatever wakes us.
                await asyncio.sleep(self.backoff_min)
                delay = max(0.0, delay - self.backoff_min)
            await wait_set(self._wake, delay)  # not asyncio.wait_for: see sync/core/waits.py

    async def _watch(self) -> None:
        """Long-poll the server and kick a round when the account moved on."""
        seen = 0
        failures = 0
        while True:
            try:
                after = max(seen, await asyncio.to_thread(self.store.cache.cursor))
                answer = await self.client.wait(after, self.wait_timeout)
            except SyncError as exc:
                # No stream (offline, signed out, an old server without /wait): the periodic pulls
                # carry on; try the stream again after a backoff.
                failures += 1
                log.debug("live wait failed (%s): %s", exc.kind, exc.message)
                await asyncio.sleep(self._backoff(failures))
                continue
            except Exception:
                failures += 1
                log.exception("live wait failed unexpectedly")
                await asyncio.sleep(self.backoff_max)
                continue
            failures = 0
            seen = max(seen, answer.head)
            if answer.changed:
                self.live_wakes += 1
                self._wake.set()

    def _backoff(self, failures: int | None = None) -> float:
        failures = self.failures if failures is None else failures
        # The exponent is capped: a desk offline for days counts thousands of failed rounds, and
        # 2 ** 1024 is past what a float can hold.
        ceiling = min(self.backoff_max, self.backoff_min * 2 ** min(max(failures - 1, 0), 30))
        return random.uniform(self.backoff_min, max(ceiling, self.backoff_min))  # jitter: desks don't stampede

    async def _round(self) -> bool:
        async with self._round_lock:
            self._update(syncing=True)
            try:
                await self._push_all()
                changed = await self._pull_all()
                when = utc_naive(self.store.clock)
                await self.store.writer.run(self.store.cache.set_last_sync, when)
            except SyncError as exc:
                self.failures += 1
                log.info("sync round failed (%s): %s", exc.kind, exc.message)
                reachable = not isinstance(exc, NetworkError)
                self._update(syncing=False, online=reachable, error=exc.message, needs_sign_in=isinstance(exc, AuthError))
                self._refresh_counts()
                return False
            except Exception:
                # A bug (or a disk problem) must not end syncing for the day: log it, back off, retry.
                self.failures += 1
                log.exception("sync round failed unexpectedly")
                self._update(syncing=False, error=UNEXPECTED)
                self._refresh_counts()
                return False
            self.failures = 0
            self._update(syncing=False, online=True, error=None, needs_sign_in=False, last_sync=when)
            self._refresh_counts()
            if changed:
                self._emit_changes(frozenset(changed))
            return True

    async def _push_all(self) -> None:
        while True:
            batch = await asyncio.to_thread(self.store.outbox.pending, self.push_batch)
            if not batch:
                return
            try:
                results = (await self.client.push(batch)).results
            except RejectedError as exc:
                if exc.code == UPDATE_REQUIRED:
                    raise  # the desk must be updated; its work waits, nothing is set aside
                # The server refused the request as a whole: send one by one, so only the
                # mutation it cannot take is rejected and the queue moves on.
                results = await self._push_singly(batch) if len(batch) > 1 else [_refused(batch[0], exc)]
            if not await self._record(batch, results):
                raise ServerError("The server's answer did not match what was sent; it will be sent again.", code="mismatch")

    async def _push_singly(self, batch: Sequence[Mutation]) -> list[MutationResult]:
        results: list[MutationResult] = []
        for mutation in batch:
            try:
                results += (await self.client.push([mutation])).results
            except RejectedError as exc:
                if exc.code == UPDATE_REQUIRED:
                    raise
                results.append(_refused(mutation, exc))
        return results

    async def _record(self, batch: Sequence[Mutation], results: Sequence[MutationResult]) -> bool:
        """Store the answers for this batch; False when none of them was for it (no progress)."""
        sent = {(m.id, m.seq) for m in batch}
        mine = [r for r in results if (r.id, r.seq) in sent]
        if not mine:
            return False
        await self.store.writer.run(self._record_results, mine)
        self._refresh_counts()
        return True

    def _record_results(self, results: Sequence[MutationResult]) -> None:
        """Writer thread, one job (a cancelled round cannot split it): answers, then take back the refused."""
        rejected = self.store.outbox.record_results(results)
        if rejected:
            self.store.cache.forget(self.store.outbox.get(rejected))

    async def _pull_all(self) -> set[str]:
        """Pull every page after the cache's cursor, then fill in the record types that fell behind.

        The server brings only what the signed-in staff member may see, and says which types a
        page covers. A type kept current moves with the main cursor; one that was not covered
        before (a coach signed in here, then a manager) stays at its own cursor until the pages
        of that type it missed are pulled, up to where the main cursor had got.
        """
        changed: set[str] = set()
        cursor = start = await asyncio.to_thread(self.store.cache.cursor)
        have = await asyncio.to_thread(self.store.cache.type_cursors)
        behind: set[str] = set()
        page: PullResponse | None = None
        async with contextlib.aclosing(self._pages(cursor)) as pages:
            async for page in pages:
                covered = set(RECORD_TYPES) if page.types is None else set(page.types) & set(RECORD_TYPES)
                current = {t for t in covered if have[t] >= cursor}
                behind |= covered - current
                moved = {t: page.cursor for t in current if have[t] < page.cursor}
                # A first pull's last page finishes its load (indexes made) even when it brings nothing.
                if page.changes or page.cursor != cursor or moved or (self.store.cache.loading and not page.more):
                    await self.store.writer.run(self.store.cache.apply_pull, page.changes, page.cursor, moved, more=page.more)
                    have.update(moved)
                changed |= {c.type for c in page.changes}
                if page.head is not None and page.head > start:
                    # Change numbers, not rows: a rewritten row leaves gaps, so the last page fills the bar.
                    total = page.head - start
                    self._emit_progress(min(page.cursor - start, total) if page.more else total, total)
                cursor = page.cursor
        assert page is not None
        behind = {t for t in behind if have[t] < page.cursor}
        if behind:
            changed |= await self._fill_in(behind, have, page.cursor)
        return changed

    async def _fill_in(self, types: set[str], have: dict[str, int], until: int) -> set[str]:
        """Pull the changes of `types` this cache missed, up to `until` (where the main cursor is)."""
        changed: set[str] = set()
        start = min(have[t] for t in types)
        log.info("pulling %s, which this desk had up to change %d only", ", ".join(sorted(types)), start)
        async with contextlib.aclosing(self._pages(start, types=types, until=until)) as pages:
            async for page in pages:
                covered = types if page.types is None else types & set(page.types)
                moved = {t: page.cursor for t in covered if have[t] < page.cursor}
                await self.store.writer.run(self.store.cache.apply_pull, page.changes, None, moved)
                have.update(moved)
                changed |= {c.type for c in page.changes}
                self._emit_progress(min(page.cursor, until) - start if page.more else until - start, until - start)
        return changed

    async def _pages(self, after: int, **query: Any) -> AsyncIterator[PullResponse]:
        """The pages after `after`, one after the other."""
        limit = self.pull_limit or (MAX_PULL_PAGE if after == 0 else DEFAULT_PULL_PAGE)
        while True:
            page = await self.client.pull(after, limit, **query)
            if page.more and page.cursor <= after and not page.changes:
                raise ServerError("The server's list of changes did not move on; it will be asked again.", code="stuck")
            yield page
            if not page.more:
                return
            after = page.cursor

    # -- status ----------------------------------------------------------------------------

    def _refresh_counts(self) -> None:
        counts = self.store.outbox.counts()
        # Refused changes, and what the server wrote back that needs a person (sync.attention).
        self._update(pending=counts["pending"], rejected=counts["rejected"] + self.store.attention_count())

    def _update(self, **changes: object) -> None:
        new = dataclasses.replace(self.status, **changes)  # type: ignore[arg-type]
        if new == self.status:
            return
        self.status = new
        for callback in list(self._status_listeners):
            try:
                callback(new)
            except Exception:
                log.exception("sync status listener %r failed", callback)

    def _emit_progress(self, done: int, total: int) -> None:
        for callback in list(self._progress_listeners):
            try:
                callback(done, total)
            except Exception:
                log.exception("sync progress listener %r failed", callback)

    def _emit_changes(self, types: frozenset[str]) -> None:
        for callback in list(self._change_listeners):
            try:
                callback(types)
            except Exception:
                log.exception("sync change listener %r failed", callback)


def _refused(mutation: Mutation, exc: SyncError) -> MutationResult:
    """A refusal of a single mutation's request, recorded like a rejected result."""
    return MutationResult(id=mutation.id, seq=mutation.seq, status="rejected", code=exc.code or "rejected", message=exc.message)
