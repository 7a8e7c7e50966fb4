"""OCOP through the API, for provincial scoring software and scripts: the criteria sets, scoring, and a
dossier with the figures its page and PDF state."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _

from traceability.accounts.tenancy import MAX_ID, of_org
from traceability.api.endpoint import bp, endpoint
from traceability.api.errors import ApiError
from traceability.api.schemas.ocop import CriteriaSetOut, CriteriaSetsOut, DossierOut, ScoreIn, ScoreOut
from traceability.extensions import db
from traceability.ocop import figures, services
from traceability.ocop.criteria import all_sets, get_set
from traceability.ocop.models import OcopDossier
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


@bp.get("/ocop/dossiers/<int:dossier_id>")
@endpoint(DossierOut)
def dossier(dossier_id: int):
    """An OCOP dossier of the organisation: Mẫu 02's figures, the answers with what the records showed, the score"""
    found = (
        db.session.scalar(sa.select(OcopDossier).where(OcopDossier.id == dossier_id, of_org(OcopDossier, g.org.id)))
        if dossier_id <= MAX_ID
        else None
    )
    criteria_set = get_set(found.criteria_set) if found else None
    if criteria_set is None:
        raise ApiError(404, "not_found", _("There is no such dossier in this organisation."))
    return DossierOut.of(found, figures.of_dossier(found), criteria_set, services.dossier_score(found))
