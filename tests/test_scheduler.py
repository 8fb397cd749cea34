"""The translation scheduler (issue 12): batches across requests, a fair share per request,
deadlines and gone clients stop work within one batch, a bounded queue. The units here are
plain functions that record what they were given: the point is the scheduling."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from glossary.errors import Busy, ClientGone, DeadlineExceeded
from glossary.scheduled import scheduled
from glossary.scheduler import Scheduler, set_client_probe
from tests.fakes import PhraseEngine


class Recorder:
    """A unit that sleeps `pause` per batch and records each batch's payloads."""

    def __init__(self, pause: float = 0.0) -> None:
        self.pause = pause
        self.batches: list[list[Any]] = []
        self.lock = threading.Lock()

    def __call__(self, payloads: list[Any]) -> list[Any]:
        time.sleep(self.pause)
        with self.lock:
            self.batches.append(list(payloads))
        return [f"done {p}" for p in payloads]


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = work()
        except BaseException as exc:
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def request(scheduler: Scheduler, unit: Recorder, payloads: list[str], **admit: Any) -> Any:
    with scheduler.admit(**admit):
        return scheduler.submit("k", unit, payloads, [10] * len(payloads))


def test_results_come_back_in_order() -> None:
    scheduler, unit = Scheduler(), Recorder()
    assert request(scheduler, unit, ["a", "b", "c"]) == ["done a", "done b", "done c"]


def test_concurrent_requests_share_batches() -> None:
    scheduler, unit = Scheduler(batch_size=8, max_wait=0.05), Recorder(pause=0.05)
    threads = [
        in_thread(lambda n=n: request(scheduler, unit, [f"{n}-{i}" for i in range(3)]))
        for n in range(4)
    ]
    for thread, out in threads:
        thread.join(10)
        assert "error" not in out
    owners = [{p.split("-")[0] for p in batch} for batch in unit.batches]
    assert max(len(o) for o in owners) >= 2, unit.batches
    assert sum(len(b) for b in unit.batches) == 12


def test_a_short_request_is_not_stuck_behind_a_long_one() -> None:
    scheduler, unit = Scheduler(batch_size=4, max_wait=0.0), Recorder(pause=0.02)
    long_thread, _ = in_thread(lambda: request(scheduler, unit, [f"L{i}" for i in range(200)]))
    time.sleep(0.1)  # the long request is well under way
    started = time.monotonic()
    assert request(scheduler, unit, ["S"]) == ["done S"]
    waited = time.monotonic() - started
    long_thread.join(30)
    batch_of_short = next(i for i, b in enumerate(unit.batches) if "S" in b)
    done_before = sum(len(b) for b in unit.batches[:batch_of_short])
    assert done_before < 40, (done_before, waited)  # it joined within a batch or two


def test_the_token_budget_bounds_a_batch() -> None:
    scheduler, unit = Scheduler(batch_tokens=100, batch_size=32), Recorder()
    with scheduler.admit():
        scheduler.submit("k", unit, [str(i) for i in range(10)], [40] * 10)
    assert max(len(b) for b in unit.batches) == 2
    with scheduler.admit():  # an item over the budget alone still runs
        assert scheduler.submit("k", unit, ["big"], [500]) == ["done big"]


def test_a_passed_deadline_stops_the_work_within_one_batch() -> None:
    scheduler, unit = Scheduler(batch_size=1, max_wait=0.0), Recorder(pause=0.1)
    with pytest.raises(DeadlineExceeded, match="deadline"):
        request(scheduler, unit, [str(i) for i in range(100)], deadline=0.35)
    time.sleep(0.5)
    assert len(unit.batches) <= 6, len(unit.batches)  # ~4 in time, at most one more after


def test_a_gone_client_stops_the_work_within_one_batch() -> None:
    scheduler, unit = Scheduler(batch_size=1, max_wait=0.0), Recorder(pause=0.1)
    gone = threading.Event()

    def work() -> Any:
        set_client_probe(gone.is_set)
        return request(scheduler, unit, [str(i) for i in range(100)])

    thread, out = in_thread(work)
    time.sleep(0.35)
    gone.set()
    thread.join(5)
    done_when_gone = len(unit.batches)
    time.sleep(0.5)
    assert isinstance(out.get("error"), ClientGone)
    assert len(unit.batches) <= done_when_gone + 1


def test_beyond_max_requests_the_answer_is_busy_with_a_retry_time() -> None:
    scheduler, unit = Scheduler(max_requests=2), Recorder(pause=0.3)
    threads = [in_thread(lambda: request(scheduler, unit, ["x"])) for _ in range(2)]
    time.sleep(0.1)
    with pytest.raises(Busy) as caught, scheduler.admit():
        pass
    assert caught.value.http_status == 429 and caught.value.retry_after >= 1
    for thread, out in threads:
        thread.join(5)
        assert out["result"] == ["done x"]
    with scheduler.admit():  # room again
        pass


def test_a_failing_unit_fails_only_its_callers() -> None:
    scheduler = Scheduler()

    def broken(payloads: list[Any]) -> list[Any]:
        raise ValueError("model exploded")

    with scheduler.admit(), pytest.raises(ValueError, match="exploded"):
        scheduler.submit("bad", broken, ["a"], [1])
    assert request(scheduler, Recorder(), ["b"]) == ["done b"]


def test_fake_engine_behind_the_scheduler_translates_the_same() -> None:
    engine = PhraseEngine({"hund": "dog", "katze": "cat"})
    wrapped = scheduled(engine, Scheduler())
    sentences = ["Der Hund.", "Die Katze.", "Hund und Katze."]
    assert [h.text for h in wrapped.translate_batch(sentences)] == [
        h.text for h in engine.translate_batch(sentences)
    ]
