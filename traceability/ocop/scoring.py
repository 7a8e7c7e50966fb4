"""Scoring an OCOP self-assessment: part subtotals, the star band, the per-star minimums.

Stars awarded are the lower of the score band (QĐ 26/2026 Art. 3.3) and the highest level whose
marked minimum options are all met (the *3/*4/*5 marks on the sheet). That reading of the minimums
is the project's (see rules/ocop); councils may apply them differently, so the page shows both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _

from traceability.errors import DomainError
from traceability.ocop.criteria import STAR_LEVELS, CriteriaSet, Criterion, Option

# Lower bound of each band, best first: 90–100 → 5★, 70 to < 90 → 4★, 50 to < 70 → 3★, 30 to < 50 → 2★.
BANDS = ((Decimal(90), 5), (Decimal(70), 4), (Decimal(50), 3), (Decimal(30), 2))


def band_stars(total: Decimal | float) -> int:
    total = Decimal(str(total))
    return next((stars for floor, stars in BANDS if total >= floor), 1)


@dataclass(frozen=True)
class Shortfall:
    criterion: Criterion
    chosen: Option | None
    needed: Option


@dataclass
class Score:
    parts: dict[str, Decimal]
    total: Decimal
    band: int
    minimum_level: int  # highest level (2–5) whose minimums are all met; 2 when the 3★ ones are not
    stars: int
    unanswered: list[Criterion] = field(default_factory=list)
    missing_for_next: list[Shortfall] = field(default_factory=list)
    next_level: int | None = None
    points_for_next: Decimal | None = None  # more points the next band needs, if the band is what holds it back


def _shortfalls(criteria_set: CriteriaSet, chosen: dict[str, Option], level: int) -> list[Shortfall]:
    missing = []
    for criterion in criteria_set.criteria:
        needed = criterion.minimum(level)
        option = chosen.get(criterion.id)
        if needed is not None and (option is None or option.points < needed.points):
            missing.append(Shortfall(criterion, option, needed))
    return missing


def check_answers(criteria_set: CriteriaSet, answers: dict) -> dict[str, Option]:
    """Answers as {criterion id: option number}; anything not on the sheet is refused, named."""
    chosen = {}
    for criterion_id, number in answers.items():
        criterion = criteria_set.criterion(str(criterion_id))
        if criterion is None:
            raise DomainError(
                _("%(id)s is not a criterion of %(set)s.", id=criterion_id, set=criteria_set.id), str(criterion_id)
            )
        if number is None or number == "":
            continue
        option = criterion.option(number) if isinstance(number, int) and not isinstance(number, bool) else None
        if option is None:
            raise DomainError(
                _(
                    "%(id)s has no option %(n)s: choose 1 to %(last)s.",
                    id=criterion_id,
                    n=number,
                    last=len(criterion.options),
                ),
                str(criterion_id),
            )
        chosen[criterion.id] = option
    return chosen


def score(criteria_set: CriteriaSet, answers: dict) -> Score:
    chosen = check_answers(criteria_set, answers)
    parts = {part: Decimal(0) for part in criteria_set.parts}
    for criterion in criteria_set.criteria:
        if criterion.id in chosen:
            parts[criterion.part] += Decimal(str(chosen[criterion.id].points))
    total = sum(parts.values(), Decimal(0))
    band = band_stars(total)
    minimum_level = 2
    for level in STAR_LEVELS:
        if _shortfalls(criteria_set, chosen, level):
            break
        minimum_level = level
    stars = min(band, minimum_level)
    result = Score(
        parts, total, band, minimum_level, stars, unanswered=[c for c in criteria_set.criteria if c.id not in chosen]
    )
    if stars < 5:
        result.next_level = stars + 1
        if result.next_level >= 3:
            result.missing_for_next = _shortfalls(criteria_set, chosen, result.next_level)
        floor = next(f for f, s in BANDS if s == result.next_level)
        result.points_for_next = max(Decimal(0), floor - total)
    return result
