"""The capacity search's choice of rates: grow, bisect (asking the claim's rate once it is bracketed), step down."""

from __future__ import annotations

import pytest

from readiness_harness.checks.capacity.search import MAX_DOWN, Search


def searched(capacity: float, **shape: float) -> tuple[Search, list[float]]:
    """Run the search against a service that holds every rate up to ``capacity`` and breaks above it."""
    search = Search(**{"start": 200, "growth": 1.5, "ceiling": 1600, "resolution": 0.1, "required": 400, **shape})
    asked = []
    while (rate := search.next_rate()) is not None:
        asked.append(rate)
        search.judged(rate, rate <= capacity)
        assert len(asked) < 40, "the search never ends"
    return search, asked


def test_grows_geometrically_then_bisects_to_the_resolution():
    search, asked = searched(710)
    assert asked[:5] == [200, 300, 450, 675, 1012.5]
    assert search.good is not None and search.bad is not None
    assert search.good <= 710 < search.bad and (search.bad - search.good) / search.good <= 0.1
    assert search.resolved


def test_the_claimed_rate_is_asked_directly_once_it_lies_in_the_bracket():
    search, asked = searched(420, start=250, growth=1.7)
    assert asked == [250, 425, 400]  # not the midpoint 337.5: the claim's own rate decides the verdict
    assert search.good == 400 and search.resolved


def test_a_service_below_the_claim_is_bracketed_below_it():
    search, asked = searched(255, start=250, growth=1.6)
    assert asked[:2] == [250, 400] and search.bad is not None and search.bad <= 400
    assert search.good is not None and 250 <= search.good <= 255 < search.bad


def test_the_ceiling_ends_the_growth():
    search, asked = searched(10_000)
    assert asked[-1] == 1600 and search.ceiling_held and search.next_rate() is None


def test_when_even_the_first_rate_breaks_the_search_steps_down_a_bounded_number_of_times():
    search, asked = searched(0.001)
    assert asked == [200, 133.3, 88.9, 59.3, 39.5][: MAX_DOWN + 1]
    assert search.good is None and search.floor_reached


def test_a_low_capacity_found_by_stepping_down_is_then_bisected():
    search, _ = searched(70)
    assert search.good is not None and search.bad is not None and search.good <= 70 < search.bad and search.resolved


@pytest.mark.parametrize("required", [333.333, 401.04])
def test_an_unrounded_claim_is_asked_once(required):
    _, asked = searched(500, required=required)
    assert len(asked) == len(set(asked)), asked


def test_a_held_rate_above_a_broken_one_does_not_count_as_good():
    search = Search(start=200, growth=1.5, ceiling=1600, resolution=0.1, required=400)
    for rate, held in ((200, True), (300, True), (450, False), (500, True)):
        search.judged(rate, held)
    assert search.good == 300 and search.bad == 450
