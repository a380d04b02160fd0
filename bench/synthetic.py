"""Seeded synthetic coaching programmes for the matching benchmark: the same seed gives the same programme.

People live in real IANA zones across Europe, the Americas and Africa and speak the languages of
where they live (es, en, pt, fr, sw, often two); coaches are members / 20 with 12-24 seats each, so
seats run slightly short and some members must stay unassigned, as in a real intake.
"""

from __future__ import annotations

import random

# zone -> languages spoken there, the first the most common
ZONES: dict[str, tuple[str, ...]] = {
    "Europe/London": ("en",),
    "Europe/Madrid": ("es", "en"),
    "Europe/Paris": ("fr", "en"),
    "Europe/Lisbon": ("pt", "en"),
    "Europe/Berlin": ("en",),
    "America/Los_Angeles": ("en", "es"),
    "America/Denver": ("en", "es"),
    "America/Chicago": ("en", "es"),
    "America/New_York": ("en", "es"),
    "America/Toronto": ("en", "fr"),
    "America/Mexico_City": ("es",),
    "America/Bogota": ("es",),
    "America/Lima": ("es",),
    "America/Santiago": ("es",),
    "America/Argentina/Buenos_Aires": ("es",),
    "America/Sao_Paulo": ("pt", "es"),
    "Africa/Lagos": ("en",),
    "Africa/Accra": ("en",),
    "Africa/Nairobi": ("sw", "en"),
    "Africa/Dar_es_Salaam": ("sw", "en"),
    "Africa/Kinshasa": ("fr", "sw"),
    "Africa/Dakar": ("fr",),
    "Africa/Johannesburg": ("en",),
    "Africa/Maputo": ("pt", "en"),
    "Africa/Casablanca": ("fr", "es"),
}
FOCUS = (
    "career",
    "confidence",
    "leadership",
    "wellbeing",
    "relationships",
    "parenting",
    "finances",
    "studies",
    "migration",
    "entrepreneurship",
)
# Some themes are asked for far more than others, which is what makes popular coaches scarce.
FOCUS_WEIGHTS = (10, 8, 6, 5, 4, 3, 3, 2, 2, 2)
RULES = {"min_overlap_hours": 4, "waking_hours": [8, 22], "circle_size": {"min": 5, "max": 8}}


def programme(*, members: int, seed: int = 2026) -> dict[str, object]:
    """A problem in the engine's JSON shape with `members` members and members // 20 coaches."""
    rng = random.Random(f"{seed}-{members}")
    coach_count = max(1, members // 20)
    coaches = [
        {**_person(rng, focus_areas=(2, 4)), "id": f"c{number}", "capacity": rng.randint(12, 24)}
        for number in range(1, coach_count + 1)
    ]
    people = []
    for number in range(1, members + 1):
        member = {**_person(rng, focus_areas=(1, 3)), "id": f"m{number}"}
        if rng.random() < 0.1:
            member["prefer"] = [f"c{rng.randint(1, coach_count)}" for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.05:
            member["avoid"] = [f"c{rng.randint(1, coach_count)}"]
        people.append(member)
    return {"reference_date": "2026-01-15", "rules": RULES, "coaches": coaches, "members": people}


def _person(rng: random.Random, *, focus_areas: tuple[int, int]) -> dict[str, object]:
    timezone = rng.choice(list(ZONES))
    spoken = ZONES[timezone]
    languages = [spoken[0]]
    if rng.random() < 0.5:
        languages.append(rng.choice([*spoken[1:], "en", "es"]))
    focus: set[str] = set()
    wanted = rng.randint(*focus_areas)
    while len(focus) < wanted:
        focus.add(rng.choices(FOCUS, weights=FOCUS_WEIGHTS)[0])
    return {
        "timezone": timezone,
        "languages": list(dict.fromkeys(languages)),
        "focus": sorted(focus, key=FOCUS.index),
    }
