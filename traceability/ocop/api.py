"""API v1 for provincial scoring software and scripts: the criteria sets, and scoring answers."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from traceability.api import inputs as read
from traceability.api.views import ApiError, bp, endpoint
from traceability.ocop.criteria import all_sets, get_set
from traceability.ocop.scoring import Score, score


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def score_json(criteria_set, result: Score) -> dict:
    return {
        "set": criteria_set.id,
        "version": criteria_set.version,
        "legal_basis": criteria_set.legal_basis,
        "parts": {part: _number(points) for part, points in result.parts.items()},
        "total": _number(result.total),
        "band_stars": result.band,
        "minimum_level": result.minimum_level,
        "stars": result.stars,
        "unanswered": [c.id for c in result.unanswered],
        "next_level": result.next_level,
        "points_for_next": _number(result.points_for_next),
        "missing_for_next": [
            {
                "criterion": s.criterion.id,
                "chosen": s.chosen.n if s.chosen else None,
                "needed": s.needed.n,
                "needed_text_vi": s.needed.text_vi,
                "needed_points": s.needed.points,
            }
            for s in result.missing_for_next
        ],
    }


@bp.get("/ocop/criteria-sets")
@endpoint()
def criteria_sets():
    return {"criteria_sets": [s.raw for s in all_sets().values()]}, 200


@bp.post("/ocop/score")
@endpoint()
def score_answers():
    data = read.body()
    set_id = read.text(data, "set", max_length=60)
    criteria_set = get_set(set_id)
    if criteria_set is None:
        raise ApiError(
            422,
            "unknown_set",
            _("There is no criteria set %(id)s. Sets: %(ids)s.", id=set_id, ids=", ".join(all_sets())),
            "set",
        )
    answers = data.get("answers")
    if not isinstance(answers, dict):
        raise ApiError(400, "bad_request", _('answers must be an object: {"A1.1": 2, …}.'), "answers")
    return score_json(criteria_set, score(criteria_set, answers)), 200
