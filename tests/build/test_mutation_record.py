"""The mutation record's target is met by the counts of killed mutants, not by a rounded share."""

from __future__ import annotations

from typing import Any

import mutation


def record(detected: int, mutants: int) -> dict[str, Any]:
    """A complete record with no survivor left unexplained, as tools/mutation.py writes it."""
    return {
        "detected": detected,
        "mutants": mutants,
        "score": round(detected / mutants, 4),
        "survivors": [],
    }


def test_a_share_that_rounds_up_to_the_target_does_not_meet_it() -> None:
    # 4,385 of 4,616 is 94.996%, which rounds to 0.95; 4,386 is 95.017%.
    assert record(4385, 4616)["score"] == mutation.TARGET == 0.95
    assert mutation.to_do(record(4385, 4616)) == [
        "4385 of 4616 mutants killed is below the target 0.95"
    ]
    assert mutation.to_do(record(4386, 4616)) == []


def test_a_record_with_no_mutants_does_not_meet_the_target() -> None:
    assert mutation.to_do(record(0, 1) | {"mutants": 0}) != []
