"""In-process tests of what the operational defects add: the single worker, the memo, memory keys."""

from __future__ import annotations

import asyncio

from readiness_harness.system_under_test.db import StoredResponse
from readiness_harness.system_under_test.hotpath import MEMO_BUFFER_BYTES, AnswerMemo, Throttle
from readiness_harness.system_under_test.idempotency import MemoryKeys


def test_throttle_lets_a_burst_through_then_admits_at_its_rate() -> None:
    now = [10.0]
    throttle = Throttle(rate=100, burst=5, clock=lambda: now[0])
    waits = [round(throttle.book(), 6) for _ in range(8)]
    assert waits == [0, 0, 0, 0, 0, 0.01, 0.02, 0.03]  # 5 at once, then one per 1/100 s
    now[0] += 1.0  # a quiet second: the burst allowance is back
    assert [round(throttle.book(), 6) for _ in range(5)] == [0] * 5


def test_throttle_never_delays_the_reference_load_item() -> None:
    """200 reads/s from 40 users at 5/s each (the perf item), even with every user firing in the same
    instant: no read waits, so the item sees the clean service's latency."""
    now = [0.0]
    throttle = Throttle(clock=lambda: now[0])
    waits = []
    for _ in range(100):  # 20 s
        waits += [throttle.book() for _ in range(40)]
        now[0] += 0.2
    assert max(waits) == 0


def test_throttle_backlog_grows_without_bound_above_its_rate() -> None:
    now = [0.0]
    throttle = Throttle(rate=100, burst=5, clock=lambda: now[0])
    waits = []
    for _ in range(400):  # 200 reads/s offered for 2 s, twice the rate
        waits.append(throttle.book())
        now[0] += 0.005
    assert waits[-1] == max(waits) and 1.9 < waits[-1] < 2.0  # 400 reads take 4 s to admit at 100/s


def test_throttle_never_admits_faster_than_its_rate() -> None:
    async def run() -> list[float]:
        throttle = Throttle(rate=1000, burst=5)
        loop = asyncio.get_running_loop()
        started = loop.time()
        admitted: list[float] = []

        async def read() -> None:
            await throttle.admit()
            admitted.append(loop.time() - started)

        await asyncio.gather(*(read() for _ in range(30)))
        return sorted(admitted)

    for k, elapsed in enumerate(asyncio.run(run()), start=1):
        assert elapsed >= (k - 5) / 1000 - 1e-6  # the k-th admission waits for k - burst intervals


def test_memo_keeps_every_answer() -> None:
    memo = AnswerMemo()
    for _ in range(3):
        memo.keep(b'{"same": "answer"}')
    assert len(memo) == 3  # one entry per read, even for identical answers
    assert MEMO_BUFFER_BYTES >= 8 * 1024


def test_memory_keys_hold_concurrent_duplicates_until_the_owner_settles() -> None:
    answer = StoredResponse(201, {"order_id": "o-1"}, "hash")

    async def run() -> list[StoredResponse | None]:
        keys = MemoryKeys()
        assert await keys.claim("client", "k") is None  # the first request owns the key
        waiters = [asyncio.ensure_future(keys.claim("client", "k")) for _ in range(3)]
        await asyncio.sleep(0.01)
        assert not any(w.done() for w in waiters)
        assert await keys.claim("other-client", "k") is None  # keys are per client
        keys.settle("client", "k", answer)
        return [*await asyncio.gather(*waiters), await keys.claim("client", "k")]

    assert asyncio.run(run()) == [answer] * 4


def test_a_failed_owner_hands_the_key_to_the_next_request() -> None:
    async def run() -> tuple[StoredResponse | None, bool]:
        keys = MemoryKeys()
        await keys.claim("client", "k")
        waiter = asyncio.ensure_future(keys.claim("client", "k"))
        await asyncio.sleep(0)
        keys.settle("client", "k", None)  # the owner's insert failed
        result = await waiter
        third = asyncio.ensure_future(keys.claim("client", "k"))
        await asyncio.sleep(0.01)
        return result, third.done()

    owner_result, third_done = asyncio.run(run())
    assert owner_result is None  # the waiter now owns the key and creates the order
    assert third_done is False  # and holds it against the next duplicate
