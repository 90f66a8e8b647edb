"""The route of the day, checked by a validator that shares nothing with the planner: its
own haversine, its own clock."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from sav import routing
from sav.routing import EXACT_MAX_STOPS, NoFeasibleRoute, Place, Route, Stop, follow, plan

NIMES = Place(43.8367, 4.3601)


def validate(base: Place, stops: list[Stop], route: Route, leaves: int, back_by: int) -> float:
    """Independent check: every stop once, arrivals within windows after the drive from the
    previous one, no overlap, back at the base in time; returns the route's road km."""

    def km(a: Place, b: Place) -> float:  # written again on purpose: spherical law of cosines
        la1, la2, dl = math.radians(a.latitude), math.radians(b.latitude), math.radians(b.longitude - a.longitude)
        cosine = math.sin(la1) * math.sin(la2) + math.cos(la1) * math.cos(la2) * math.cos(dl)
        return 6371.0088 * math.acos(min(1.0, max(-1.0, cosine))) * 1.3

    by_key = {stop.key: stop for stop in stops}
    assert sorted(v.key for v in route.visits) == sorted(by_key), "every intervention exactly once"
    clock, here, total = leaves, base, 0.0
    for visit in route.visits:
        stop = by_key[visit.key]
        leg = km(here, stop.place)
        earliest = clock + leg / 50 * 60
        assert visit.arrives >= earliest - 1e-6, f"{visit.key} reached faster than driving allows"
        assert stop.opens <= visit.starts <= stop.closes, f"{visit.key} outside its window"
        assert visit.starts >= visit.arrives and visit.ends == visit.starts + stop.duration
        clock, here, total = visit.ends, stop.place, total + leg
    back = km(here, base)
    assert clock + back / 50 * 60 <= back_by + 1e-6, "back after the end of the working hours"
    total += back
    assert route.km == pytest.approx(total, rel=1e-6)
    return total


def day_of_twelve(seed: int) -> list[Stop]:
    """12 interventions within ~10 km of Nîmes, 15 to 30 minutes each, a third with a
    morning window and a third with an afternoon one; booked as an office does, morning
    ones first, afternoon ones last, in no particular order otherwise."""
    rng = random.Random(seed)
    windows = [(8 * 60, 12 * 60)] * 4 + [(8 * 60, 17 * 60)] * 4 + [(13 * 60, 17 * 60)] * 4
    stops = []
    for n, window in enumerate(windows):
        place = Place(NIMES.latitude + rng.uniform(-0.08, 0.08), NIMES.longitude + rng.uniform(-0.1, 0.1))
        stops.append(Stop(f"i{n}", place, rng.choice([15, 20, 30]), *window))
    return stops


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_day_of_12_interventions_is_feasible_and_no_longer_than_the_booking_order(seed: int) -> None:
    stops = day_of_twelve(seed)
    leaves, back_by = 8 * 60, 19 * 60
    route = plan(NIMES, stops, leaves, back_by)
    total = validate(NIMES, stops, route, leaves, back_by)
    booked = follow(NIMES, stops, leaves, back_by)
    assert booked is not None, "the booking order is feasible too: the comparison means something"
    booked_km = validate(NIMES, stops, booked, leaves, back_by)
    assert total <= booked_km + 1e-6
    print(f"seed {seed}: {total:.1f} km proposed, {booked_km:.1f} km in booking order")


def test_a_day_longer_than_the_exact_search_goes_to_the_solver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routing, "EXACT_MAX_STOPS", 11)  # a 12-stop day then takes the solver's 2 s
    stops = day_of_twelve(1)
    route = plan(NIMES, stops, 8 * 60, 19 * 60)
    booked = follow(NIMES, stops, 8 * 60, 19 * 60)
    assert booked is not None
    assert validate(NIMES, stops, route, 8 * 60, 19 * 60) <= booked.km + 1e-6


def test_windows_decide_the_order_over_distance() -> None:
    near, far = Place(43.84, 4.37), Place(44.0, 4.6)
    stops = [Stop("near", near, 30, 14 * 60, 16 * 60), Stop("far", far, 30, 8 * 60, 10 * 60)]
    route = plan(NIMES, stops, 8 * 60, 18 * 60)
    assert [v.key for v in route.visits] == ["far", "near"]
    assert route.visits[1].starts == 14 * 60  # waits for the afternoon window
    validate(NIMES, stops, route, 8 * 60, 18 * 60)


def test_an_impossible_day_is_said_so() -> None:
    stops = [
        Stop("a", Place(43.84, 4.37), 60, 8 * 60, 8 * 60 + 30),
        Stop("b", Place(44.5, 5.5), 60, 8 * 60, 8 * 60 + 30),
    ]
    with pytest.raises(NoFeasibleRoute):
        plan(NIMES, stops, 8 * 60, 17 * 60)
    assert plan(NIMES, [], 8 * 60, 17 * 60).visits == []


def scattered_day(seed: int) -> tuple[list[Stop], int]:
    """2 to 6 interventions over the Gard, windows from two hours to the whole day: some
    days fit in one order only, some in none; returns the stops and the end of the day."""
    rng = random.Random(seed)
    windows = [(8 * 60, 12 * 60), (8 * 60, 17 * 60), (13 * 60, 17 * 60), (9 * 60, 11 * 60), (14 * 60, 16 * 60)]
    stops = []
    for n in range(rng.randint(2, 6)):
        place = Place(NIMES.latitude + rng.uniform(-0.25, 0.25), NIMES.longitude + rng.uniform(-0.3, 0.3))
        stops.append(Stop(f"i{n}", place, rng.choice([15, 30, 45, 60]), *rng.choice(windows)))
    return stops, rng.choice([16, 17, 18]) * 60


@pytest.mark.parametrize("seed", range(40))
def test_a_short_day_gets_the_shortest_of_all_orders(seed: int) -> None:
    stops, back_by = scattered_day(seed)
    assert len(stops) <= EXACT_MAX_STOPS
    every = [follow(NIMES, list(order), 8 * 60, back_by) for order in itertools.permutations(stops)]
    feasible = [route.km for route in every if route is not None]
    if not feasible:
        with pytest.raises(NoFeasibleRoute):
            plan(NIMES, stops, 8 * 60, back_by)
        return
    route = plan(NIMES, stops, 8 * 60, back_by)
    assert validate(NIMES, stops, route, 8 * 60, back_by) == pytest.approx(min(feasible), rel=1e-9)


def test_the_booking_order_is_kept_when_nothing_is_shorter() -> None:
    # a there-and-back along one road: both orders drive the same km
    stops = [Stop("a", Place(43.9, 4.36), 30, 8 * 60, 17 * 60), Stop("b", Place(43.9, 4.36), 30, 8 * 60, 17 * 60)]
    assert [v.key for v in plan(NIMES, stops, 8 * 60, 17 * 60).visits] == ["a", "b"]
    assert [v.key for v in plan(NIMES, stops[::-1], 8 * 60, 17 * 60).visits] == ["b", "a"]
