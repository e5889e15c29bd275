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


def test_a_record_is_complete_by_its_verdicts_not_by_its_flag() -> None:
    full = {
        "counts": {"killed": 9, "survived": 1},
        "total": 10,
        "complete": True,
        "mutants": 10,
        "detected": 9,
        "survivors": [{"name": "m", "explanation": "equivalent: x"}],
    }
    incomplete = "the record comes from an incomplete run"
    assert not [p for p in mutation.problems(full) if p.startswith(incomplete)]
    # a flag that says complete over fewer mutants run than made, or unrun verdicts
    for edited in (
        full | {"mutants": 8, "detected": 7},
        full | {"counts": {"killed": 8, "survived": 1, "not checked": 1}},
        full | {"total": 12},
    ):
        assert [p for p in mutation.problems(edited) if p.startswith(incomplete)], edited
