"""OCOP through the API, for provincial scoring software and scripts: the criteria sets, and scoring."""

from __future__ import annotations

from flask_babel import gettext as _

from traceability.api.endpoint import bp, endpoint
from traceability.api.errors import ApiError
from traceability.api.schemas.ocop import CriteriaSetOut, CriteriaSetsOut, ScoreIn, ScoreOut
from traceability.ocop.criteria import all_sets, get_set
from traceability.ocop.scoring import score


@bp.get("/ocop/criteria-sets")
@endpoint(CriteriaSetsOut)
def criteria_sets():
    """OCOP criteria sets with their criteria, options, points and star minimums"""
    return CriteriaSetsOut(criteria_sets=[CriteriaSetOut.model_validate(s.raw) for s in all_sets().values()])


@bp.post("/ocop/score")
@endpoint(ScoreOut, body=ScoreIn)
def score_answers(body: ScoreIn):
    """Score OCOP answers: part subtotals, total, band stars, stars awarded, what the next star needs"""
    criteria_set = get_set(body.set)
    if criteria_set is None:
        raise ApiError(
            422,
            "unknown_set",
            _("There is no criteria set %(id)s. Sets: %(ids)s.", id=body.set, ids=", ".join(all_sets())),
            "set",
        )
    return ScoreOut.of(criteria_set, score(criteria_set, body.answers))
