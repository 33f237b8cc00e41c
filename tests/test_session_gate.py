"""The session pool's gate: waiting is first come, first served, and bounded in time."""

import asyncio

import pytest

from app.db.faults import Fault, PoolExhausted, classify
from app.db.session import SessionGate


async def test_released_slots_go_to_the_longest_waiter_not_a_newcomer() -> None:
    gate = SessionGate(1, timeout=5)
    order: list[str] = []
    release = asyncio.Event()

    async def holder() -> None:
        async with gate.slot():
            await release.wait()

    async def waiter(name: str) -> None:
        async with gate.slot():
            order.append(name)

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    queued = [asyncio.create_task(waiter(f"w{n}")) for n in range(3)]
    await asyncio.sleep(0)
    release.set()
    await asyncio.sleep(0)  # the slot is handed to w0 before a newcomer can ask
    newcomer = asyncio.create_task(waiter("newcomer"))
    await asyncio.gather(first, *queued, newcomer)
    assert order == ["w0", "w1", "w2", "newcomer"]


async def test_a_wait_past_the_timeout_is_at_capacity_and_frees_its_place() -> None:
    gate = SessionGate(1, timeout=0.05)
    async with gate.slot():
        with pytest.raises(PoolExhausted) as refused:
            async with gate.slot():
                pass
    assert classify(refused.value) is Fault.SATURATED
    async with gate.slot():  # the timed-out waiter left no slot behind
        pass
