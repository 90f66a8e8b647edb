"""The route of a technician's day: the order of the day's interventions that drives the
least, each customer seen within their time window and the technician back by the end of
their working hours. Plain Python around OR-Tools' routing solver: no database, no broker.

Distances are great-circle (haversine) times a road factor, as no map service is reachable;
driving time is that distance at an average speed. Times are minutes from the day's
midnight (local time).

The proposal is never longer than the order the interventions were booked in: the
booked order, when feasible, is the search's first solution, and is kept if the search
finds nothing shorter.

A day of up to ``EXACT_MAX_STOPS`` interventions is searched exhaustively by a branch and
bound in plain Python: it proves the shortest order, or that none fits, in milliseconds,
where the solver's guided local search never stops by itself and spends its whole time
limit. Only longer days go to the solver. A time limit scaled down with the number of
stops was measured too: on a loaded machine it gave longer routes, or none, from 11 stops
(ADR 0024).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

EARTH_RADIUS_KM = 6371.0088
ROAD_FACTOR = 1.3  # road distance / great-circle distance, a rural French default
SPEED_KMH = 50.0
# 12 stops without windows, the worst case measured, take 0.3 s of CPU: the bound, the
# windows and the dominance between partial orders cut nearly all of the 12! orders
EXACT_MAX_STOPS = 12
SEARCH_SECONDS = 2  # the solver's limit, for days longer than that


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Stop:
    key: str
    place: Place
    duration: int  # minutes on site
    opens: int  # earliest arrival, minutes from midnight
    closes: int  # latest arrival


@dataclass(frozen=True)
class Visit:
    key: str
    arrives: int  # minutes from midnight
    starts: int  # arrives, or the window's opening if earlier
    ends: int
    km_from_previous: float


@dataclass(frozen=True)
class Route:
    visits: list[Visit]
    km: float  # the whole round trip, back to the base
    back_at: int


class NoFeasibleRoute(Exception):
    """No order sees every customer within their window and the working hours."""


def great_circle_km(a: Place, b: Place) -> float:
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    dphi, dlambda = phi2 - phi1, math.radians(b.longitude - a.longitude)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def road_km(a: Place, b: Place) -> float:
    return great_circle_km(a, b) * ROAD_FACTOR


def driving_minutes(km: float) -> int:
    return math.ceil(km / SPEED_KMH * 60)


def follow(base: Place, stops: list[Stop], leaves: int, back_by: int) -> Route | None:
    """The schedule of visiting ``stops`` in this order, leaving the base at ``leaves``
    and waiting where one arrives before a window opens; None if a window or the end of
    the day is missed."""
    visits, here, now, km = [], base, leaves, 0.0
    for stop in stops:
        leg = road_km(here, stop.place)
        arrives = now + driving_minutes(leg)
        if arrives > stop.closes:
            return None
        starts = max(arrives, stop.opens)
        visits.append(Visit(stop.key, arrives, starts, starts + stop.duration, leg))
        here, now, km = stop.place, starts + stop.duration, km + leg
    leg = road_km(here, base)
    back_at = now + driving_minutes(leg)
    if back_at > back_by:
        return None
    return Route(visits, km + leg, back_at)


def plan(base: Place, stops: list[Stop], leaves: int, back_by: int) -> Route:
    """The shortest feasible order found for ``stops`` (given in booking order)."""
    if not stops:
        return Route([], 0.0, leaves)
    booked = follow(base, stops, leaves, back_by)
    if len(stops) <= EXACT_MAX_STOPS:
        return shortest(base, stops, leaves, back_by, booked)
    return solve(base, stops, leaves, back_by, booked)


def shortest(base: Place, stops: list[Stop], leaves: int, back_by: int, booked: Route | None) -> Route:
    """The shortest feasible order, by depth-first search over orders with the same
    arithmetic as ``follow``; ``booked`` is the bound to beat, kept unless an order is
    strictly shorter. Raises NoFeasibleRoute when no order fits."""
    places = [base, *(stop.place for stop in stops)]
    km = [[road_km(a, b) for b in places] for a in places]
    minutes = [[driving_minutes(leg) for leg in row] for row in km]
    # nearest first: a short order found early makes the bound below cut more
    nearest = [sorted(range(1, len(places)), key=row.__getitem__) for row in km]
    best_km = booked.km if booked is not None else math.inf
    best: list[int] | None = None
    order: list[int] = []
    everyone = (1 << len(places)) - 2  # a bit per stop; bit 0, the base, is never in it
    # (stops left, where) -> the (time, km) at which the search already went on from there:
    # arriving later and having driven more cannot end shorter than that did
    seen: dict[tuple[int, int], list[tuple[int, float]]] = {}

    def visit(here: int, left: int, now: int, driven: float) -> None:
        nonlocal best_km, best
        if not left:
            if now + minutes[here][0] <= back_by and driven + km[here][0] < best_km:
                best_km, best = driven + km[here][0], order.copy()
            return
        # Distances are a metric and waits only delay, so a stop or the base that cannot
        # be reached in time directly cannot be reached through other stops either, and
        # the rest of the way is at least a detour through the farthest stop left.
        if now + minutes[here][0] > back_by:
            return
        ahead = [node for node in nearest[here] if left >> node & 1]
        if driven + max(km[here][node] + km[node][0] for node in ahead) >= best_km:
            return
        if any(now + minutes[here][node] > stops[node - 1].closes for node in ahead):
            return
        labels = seen.setdefault((left, here), [])
        if any(then <= now and before <= driven for then, before in labels):
            return
        labels.append((now, driven))
        for node in ahead:
            stop = stops[node - 1]
            order.append(node)
            starts = max(now + minutes[here][node], stop.opens)
            visit(node, left & ~(1 << node), starts + stop.duration, driven + km[here][node])
            order.pop()

    visit(0, everyone, leaves, 0.0)
    if best is None:
        if booked is None:
            raise NoFeasibleRoute("no order sees every customer within their time window and the working hours")
        return booked
    found = follow(base, [stops[node - 1] for node in best], leaves, back_by)
    assert found is not None  # the search simulated exactly what follow does
    return found


def solve(base: Place, stops: list[Stop], leaves: int, back_by: int, booked: Route | None) -> Route:
    """The shortest order OR-Tools' guided local search finds in its time limit."""
    places = [base, *(stop.place for stop in stops)]
    metres = [[round(road_km(a, b) * 1000) for b in places] for a in places]
    minutes = [[driving_minutes(road_km(a, b)) for b in places] for a in places]
    manager = pywrapcp.RoutingIndexManager(len(places), 1, 0)
    routing = pywrapcp.RoutingModel(manager)

    def distance(i: int, j: int) -> int:
        return metres[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def duration(i: int, j: int) -> int:
        node = manager.IndexToNode(i)
        on_site = stops[node - 1].duration if node else 0
        return on_site + minutes[node][manager.IndexToNode(j)]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(distance))
    routing.AddDimension(routing.RegisterTransitCallback(duration), 24 * 60, 24 * 60, False, "time")
    time = routing.GetDimensionOrDie("time")
    for node, stop in enumerate(stops, start=1):
        time.CumulVar(manager.NodeToIndex(node)).SetRange(stop.opens, stop.closes)
    time.CumulVar(routing.Start(0)).SetRange(leaves, leaves)
    time.CumulVar(routing.End(0)).SetRange(leaves, back_by)

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    parameters.time_limit.seconds = SEARCH_SECONDS
    if booked is not None:
        routing.CloseModelWithParameters(parameters)
        first = routing.ReadAssignmentFromRoutes([list(range(1, len(stops) + 1))], True)
        solution = routing.SolveFromAssignmentWithParameters(first, parameters)
    else:
        solution = routing.SolveWithParameters(parameters)
    found = None
    if solution is not None:
        index, order = routing.Start(0), []
        while not routing.IsEnd(index := solution.Value(routing.NextVar(index))):
            order.append(stops[manager.IndexToNode(index) - 1])
        found = follow(base, order, leaves, back_by)
    candidates = [route for route in (found, booked) if route is not None]
    if not candidates:
        raise NoFeasibleRoute("no order sees every customer within their time window and the working hours")
    return min(candidates, key=lambda route: route.km)
