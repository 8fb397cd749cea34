"""One scheduler in front of the translator: every model call of every request, from every
API, the page and jobs, goes through it.

Requests hand in per-sentence work items (`submit`); one worker thread per translator builds
batches from the items of all waiting requests, taking them round-robin, one request at a
time, so a one-sentence request joins the next batch however long the request before it is.
A batch is bounded by a token budget; between batches the worker drops the items of requests
whose deadline passed or whose client has gone, so work for them stops within one batch.
Admission is bounded too: beyond `max_requests` requests in flight, `admit` refuses at once
(`Busy`, an HTTP 429 with Retry-After) instead of letting the queue grow without end.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from glossary.errors import Abandoned, Busy, ClientGone, DeadlineExceeded

log = logging.getLogger("glossary.scheduler")

Unit = Callable[[list[Any]], Sequence[Any]]  # a batch of payloads in, one result per payload


@dataclass(eq=False)
class Ticket:
    """One request's claim on the translator: its deadline and how to tell it has gone."""

    deadline: float  # time.monotonic() seconds
    gone: Callable[[], bool] = lambda: False
    ident: int = field(default_factory=itertools.count().__next__)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def reason(self) -> Abandoned | None:
        if self.cancelled.is_set():
            return ClientGone("the request was cancelled")
        if time.monotonic() > self.deadline:
            return DeadlineExceeded(
                "the request took longer than its deadline and was stopped; "
                "send long texts as a job (POST /api/jobs)"
            )
        try:
            if self.gone():
                self.cancelled.set()
                return ClientGone("the client disconnected")
        except Exception:  # a server-specific probe must never break translation
            return None
        return None


_ticket: contextvars.ContextVar[Ticket | None] = contextvars.ContextVar("ticket", default=None)
_gone: contextvars.ContextVar[Callable[[], bool] | None] = contextvars.ContextVar(
    "gone", default=None
)


def set_client_probe(probe: Callable[[], bool] | None) -> None:
    """The web layer's way to say how to tell that this request's client has gone."""
    _gone.set(probe)


@dataclass(eq=False)
class _Item:
    ticket: Ticket
    key: Hashable
    unit: Unit
    payload: Any
    tokens: int
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self.done.set()


class Scheduler:
    def __init__(
        self,
        *,
        max_requests: int = 64,
        batch_tokens: int = 2048,
        batch_size: int = 32,
        max_wait: float = 0.005,
        deadline: float = 60.0,
        workers: int = 1,
    ) -> None:
        self.max_requests = max_requests
        self.batch_tokens = batch_tokens
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.deadline = deadline
        self._queues: dict[Ticket, deque[_Item]] = {}
        self._turn: deque[Ticket] = deque()  # round-robin order of tickets with work
        self._cond = threading.Condition()
        self._in_flight = 0
        self._workers = workers
        self._threads: list[threading.Thread] = []
        self._rate = 0.0  # items per second, smoothed, for Retry-After

    # --- requests ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def admit(
        self,
        deadline: float | None = None,
        gone: Callable[[], bool] | None = None,
        *,
        counted: bool = True,
    ) -> Iterator[Ticket]:
        """A ticket for one request (reused when this context already holds one), or Busy.
        Jobs are not `counted`: their runner threads bound them, and they wait their turn."""
        held = _ticket.get()
        if held is not None:
            yield held
            return
        with self._cond:
            if counted and self._in_flight >= self.max_requests:
                raise Busy(
                    f"the server is busy with {self._in_flight} requests; try again shortly",
                    self._retry_after(),
                )
            self._in_flight += counted
        probe = gone or _gone.get() or _never
        ticket = Ticket(time.monotonic() + (deadline or self.deadline), probe)
        token = _ticket.set(ticket)
        try:
            yield ticket
        finally:
            _ticket.reset(token)
            ticket.cancelled.set()  # anything still queued is for nobody now
            with self._cond:
                self._in_flight -= counted

    def submit(
        self, key: Hashable, unit: Unit, payloads: Sequence[Any], tokens: Sequence[int]
    ) -> list[Any]:
        """Run `unit` over the payloads, batched with other requests' items of the same key;
        results in order. Outside `admit` (scripts, tests) a ticket without deadline is used."""
        if not payloads:
            return []
        ticket = _ticket.get() or Ticket(math.inf)
        items = [_Item(ticket, key, unit, p, n) for p, n in zip(payloads, tokens, strict=True)]
        self._start()
        with self._cond:
            queue = self._queues.setdefault(ticket, deque())
            if not queue:
                self._turn.append(ticket)
            queue.extend(items)
            self._cond.notify_all()
        return [self._wait(item) for item in items]

    def _wait(self, item: _Item) -> Any:
        while not item.done.wait(0.2):
            reason = item.ticket.reason()
            if reason is not None:
                item.ticket.cancelled.set()
                with self._cond:
                    self._cond.notify_all()  # let the worker drop the rest
                if item.done.wait(0):
                    break
                raise reason
        if item.error is not None:
            raise item.error
        return item.result

    def _retry_after(self) -> int:
        queued = sum(len(q) for q in self._queues.values())
        return max(1, min(60, math.ceil(queued / self._rate))) if self._rate > 0 else 5

    # --- the worker -------------------------------------------------------------------------

    def _start(self) -> None:
        if len(self._threads) >= self._workers:
            return
        with self._cond:
            while len(self._threads) < self._workers:
                thread = threading.Thread(
                    target=self._work, daemon=True, name=f"translator-{len(self._threads)}"
                )
                self._threads.append(thread)
                thread.start()

    def _work(self) -> None:
        while True:
            batch = self._next_batch()
            started = time.monotonic()
            try:
                results = batch[0].unit([item.payload for item in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"{len(results)} results for {len(batch)} items")
            except BaseException as exc:  # the callers decide what a failure means
                for item in batch:
                    item.finish(error=exc)
                continue
            for item, result in zip(batch, results, strict=True):
                item.finish(result)
            rate = len(batch) / max(time.monotonic() - started, 1e-3)
            self._rate = rate if self._rate == 0 else 0.8 * self._rate + 0.2 * rate

    def _next_batch(self) -> list[_Item]:
        with self._cond:
            while True:
                self._drop_abandoned()
                if self._turn:
                    break
                self._cond.wait()
            first = self._take(self._turn[0].ident, None)
            batch = [first]
            deadline = time.monotonic() + self.max_wait
            while True:
                batch += self._fill(first.key, sum(i.tokens for i in batch), len(batch))
                left = deadline - time.monotonic()
                if len(batch) >= self.batch_size or left <= 0:
                    return batch
                self._cond.wait(left)  # a short wait lets concurrent requests join
                self._drop_abandoned()

    def _fill(self, key: Hashable, tokens: int, count: int) -> list[_Item]:
        """More items with `key`, one per ticket per round, within the budget."""
        taken: list[_Item] = []
        progress = True
        while progress and count + len(taken) < self.batch_size:
            progress = False
            for ticket in list(self._turn):
                queue = self._queues.get(ticket)
                if not queue or queue[0].key != key:
                    continue
                if tokens + queue[0].tokens > self.batch_tokens and (count or taken):
                    return taken
                taken.append(self._take(ticket.ident, key))
                tokens += taken[-1].tokens
                progress = True
                if count + len(taken) >= self.batch_size:
                    break
        return taken

    def _take(self, ident: int, key: Hashable | None) -> _Item:
        """The first item of the ticket `ident`; its ticket moves to the back of the turn."""
        ticket = next(t for t in self._turn if t.ident == ident)
        queue = self._queues[ticket]
        item = queue.popleft()
        assert key is None or item.key == key
        self._turn.remove(ticket)
        if queue:
            self._turn.append(ticket)
        else:
            del self._queues[ticket]
        return item

    def _drop_abandoned(self) -> None:
        for ticket in list(self._turn):
            reason = ticket.reason()
            if reason is None:
                continue
            for item in self._queues.pop(ticket):
                item.finish(error=reason)
            self._turn.remove(ticket)


def _never() -> bool:
    return False
