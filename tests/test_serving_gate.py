"""The production worker's turns (registry.serving.Gate): order, bounds, never stuck."""

from __future__ import annotations

import threading

from registry.serving import Gate


def test_turns_are_bounded_and_given_back() -> None:
    gate = Gate(2)
    gate.enter()
    assert gate.holding()
    gate.enter()  # a thread that has a turn does not take a second one
    others: list[bool] = []

    def take_and_keep() -> None:
        gate.enter()
        others.append(gate.holding())

    first = threading.Thread(target=take_and_keep)
    first.start()
    first.join()
    second = threading.Thread(target=take_and_keep)
    second.start()
    second.join()
    # Two turns: this thread's and the first's (kept: its thread is held up); the second
    # went on without one instead of waiting for ever.
    assert others == [True, False]
    gate.leave()
    assert not gate.holding()
    third = threading.Thread(target=take_and_keep)
    third.start()
    third.join()
    assert others[-1] is True


def test_a_thread_waiting_on_its_client_steps_out() -> None:
    gate = Gate(1)
    gate.enter()
    seen: list[bool] = []
    with gate.stepped_out():
        assert not gate.holding()
        helper = threading.Thread(target=lambda: (gate.enter(), seen.append(gate.holding()),
                                                  gate.leave()))
        helper.start()
        helper.join()
    assert seen == [True]  # the turn was free while this thread waited
    assert gate.holding()  # and taken back after
    gate.leave()


def test_no_limit_takes_no_turn() -> None:
    gate = Gate(0)
    gate.enter()
    assert not gate.holding()
    with gate.stepped_out():
        pass
    gate.leave()
