"""The pool types and construction templates every company starts with (DOMAIN.md's
13 steps), which it then edits: 5 structures x 6 shapes and sizes = 30 pool types.

Durations and lags are working days; a lead time is calendar days. Materials carry no
article (the company's catalogue is its own): a template edit links them to articles.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def _step(
    code: str,
    name: str,
    days: int,
    after: list[tuple[str, int]],
    skill: str | None,
    sub_steps: list[str] | None = None,
    materials: list[tuple[str, str, str, str]] | None = None,
    milestone: str | None = None,
    trigger: tuple[str, int] | None = None,
) -> dict[str, Any]:
    return {
        "step_code": code,
        "name": name,
        "duration_days": days,
        "depends_on": [{"step_code": c, "lag_days": lag} for c, lag in after],
        "skill": skill,
        "sub_steps": sub_steps or [],
        "materials": [
            {"article_id": None, "description": d, "quantity": Decimal(q), "scale": s, "unit": u}
            for d, q, s, u in (materials or [])
        ],
        "milestone_percent": Decimal(milestone) if milestone else None,
        "order_trigger": {"for_step": trigger[0], "lead_days": trigger[1]} if trigger else None,
    }


def template(structure: str) -> list[dict[str, Any]]:
    """The default steps for a structure (DOMAIN.md's list; a shell needs no waterproofing)."""
    built = structure in ("concrete", "blocks")
    shell = structure == "polyester_shell"
    walls = {
        "concrete": ("Walls (shotcrete) and built-in fittings", 5, 3),
        "blocks": ("Walls (formwork blocks) and built-in fittings", 6, 3),
        "panels": ("Panel assembly and built-in fittings", 3, 0),
        "kit": ("Kit assembly and built-in fittings", 3, 0),
        "polyester_shell": ("Shell placement and built-in fittings", 1, 0),
    }[structure]
    steps = [
        _step("permit", "Plans and permit", 20, [], None, ["Plans", "Prior declaration or permit filed"]),
        _step("layout", "Layout (piquetage)", 1, [("permit", 0)], "earthworks"),
        _step(
            "earthworks",
            "Earthworks and trench to the technical room",
            3,
            [("layout", 0)],
            "earthworks",
            ["Excavation", "Trench to the technical room", "Spoil removal"],
            trigger=("structure", 28) if shell else None,
        ),
        _step("drainage", "Drainage", 1, [("earthworks", 0)], "earthworks", materials=[("Drain pipe", "1", "ml", "m")]),
        _step(
            "slab",
            "Slab (radier)",
            2,
            [("drainage", 0)],
            "masonry",
            ["Reinforcement", "Pouring"],
            [("Concrete C25/30", "0.2", "m2", "m3"), ("Reinforcement mesh", "1.1", "m2", "m2")],
        ),
        _step(
            "structure",
            walls[0],
            walls[1],
            [("slab", walls[2])],
            "masonry",
            ["Walls", "Skimmers, returns and main drain sealed in", "Ring beam"],
            [("Fittings kit (skimmers, returns, main drain)", "1", "pool", "u")]
            + ([("Formwork blocks", "8", "ml", "u")] if built else [])
            + ([("Polyester shell", "1", "pool", "u")] if shell else []),
            milestone="40",
            trigger=None if shell else ("waterproofing", 21),
        ),
        _step(
            "hydraulics",
            "Hydraulics",
            2,
            [("structure", 0)],
            "plumbing",
            ["Pipes to the technical room", "Pressure test"],
            [("PVC pressure pipe 50 mm", "1", "ml", "m")],
        ),
        _step("backfill", "Backfill", 2, [("hydraulics", 2 if built else 0)], "earthworks"),
    ]
    if not shell:
        steps.append(
            _step(
                "waterproofing",
                "Waterproofing / liner",
                2,
                [("backfill", 0)],
                "waterproofing",
                ["Underlay", "Liner welded and fitted"],
                [("Liner 75/100", "1.6", "m2", "m2"), ("Underlay felt", "1.6", "m2", "m2")],
                milestone="25",
            )
        )
    steps += [
        _step(
            "coping",
            "Coping and deck",
            3,
            [("backfill" if shell else "waterproofing", 0)],
            "masonry",
            ["Coping stones", "Deck"],
            [("Coping stone", "3", "ml", "u")],
            milestone="25" if shell else None,
        ),
        _step(
            "technical_room",
            "Technical room and electrics",
            2,
            [("hydraulics", 0)],
            "electrics",
            ["Filtration unit", "Electrical panel", "Treatment"],
            [("Filtration unit", "1", "pool", "u"), ("Electrical panel", "1", "pool", "u")],
        ),
        _step(
            "safety_device",
            "Mandatory safety device (NF P90-306 to -309)",
            1,
            [("coping", 0)],
            "finishing",
            materials=[("Pool alarm NF P90-307", "1", "pool", "u")],
        ),
        _step(
            "filling",
            "Filling, start-up and handover report",
            2,
            [("safety_device", 0), ("technical_room", 0)] + ([] if shell else [("waterproofing", 0)]),
            "finishing",
            ["Filling", "Start-up", "Handover report (PV de réception)"],
            milestone="5",
        ),
    ]
    return steps


SIZES = [
    ("R7", "rectangle", "7", "3.5", "1.4"),
    ("R8", "rectangle", "8", "4", "1.4"),
    ("R10", "rectangle", "10", "5", "1.5"),
    ("R12", "rectangle", "12", "6", "1.5"),
    ("O8", "oval", "8", "4", "1.4"),
    ("L9", "l_shape", "9", "4.5", "1.5"),
]
PREFIX = {"concrete": "BET", "blocks": "BLO", "panels": "PAN", "polyester_shell": "COQ", "kit": "KIT"}
FRENCH = {"concrete": "Béton", "blocks": "Blocs", "panels": "Panneaux", "polyester_shell": "Coque", "kit": "Kit"}
SHAPE_FR = {"rectangle": "rectangulaire", "oval": "ovale", "l_shape": "en L"}


def pool_types() -> list[dict[str, Any]]:
    return [
        {
            "code": f"{PREFIX[structure]}-{size}",
            "name": f"{FRENCH[structure]} {SHAPE_FR[shape]} {length} x {width} m",
            "structure": structure,
            "shape": shape,
            "length_m": Decimal(length),
            "width_m": Decimal(width),
            "mean_depth_m": Decimal(depth),
            "steps": template(structure),
        }
        for structure in PREFIX
        for size, shape, length, width, depth in SIZES
    ]
