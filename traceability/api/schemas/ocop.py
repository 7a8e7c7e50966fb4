"""Bodies of the OCOP endpoints: the criteria sets as published, and scoring a set of answers."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import ConfigDict, Field, Strict, StringConstraints, WithJsonSchema

from traceability.api.schemas.base import BLANK, WHOLE, Amount, Schema, blank_as, text
from traceability.ocop.criteria import CriteriaSet
from traceability.ocop.figures import Production
from traceability.ocop.models import OcopDossier
from traceability.ocop.scoring import Score

SetId = text(60)
CriterionId = Annotated[str, StringConstraints(max_length=20)]
OptionNumber = Annotated[int, Strict(), Field(ge=1, le=100), WHOLE]
# An option number, or not answered: null or a blank text (published too, as it is accepted).
Answer = Annotated[
    OptionNumber | None,
    blank_as(None),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 100},
                {"type": "null"},
                {"type": "string", "pattern": BLANK},
            ]
        }
    ),
]
Points = int | float


class Published(Schema):
    """A part of a criteria set file, passed on whole: the fields below and any notes beside them."""

    model_config = ConfigDict(extra="allow")


class OptionOut(Published):
    n: int
    text_vi: str
    text_en: str = ""
    points: Points
    minimum_for: int | None = Field(None, description="The star level that needs at least this option.")


class CriterionOut(Published):
    id: str
    name_vi: str
    name_en: str = ""
    max: Points
    options: list[OptionOut]


class SectionOut(Published):
    id: str
    name_vi: str
    name_en: str = ""
    max: Points
    criteria: list[CriterionOut]


class PartOut(Published):
    id: str
    name_vi: str
    name_en: str = ""
    max: Points
    sections: list[SectionOut]


class CriteriaSetOut(Published):
    id: str
    version: str
    legal_basis: str
    set_number: int
    name_vi: str
    name_en: str = ""
    parts: list[PartOut]


class CriteriaSetsOut(Schema):
    criteria_sets: list[CriteriaSetOut] = Field(description="One entry per set and version.")


class ScoreIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [{"set": "qd26-2026-set01", "answers": {"A1.1": 2}}]})

    set: SetId
    answers: dict[CriterionId, Answer] = Field(
        max_length=500,
        description='Criterion id as printed → option number counting from 1, e.g. {"A1.1": 2}; null or "": not answered.',
    )


class MissingOut(Schema):
    criterion: str
    chosen: int | None
    needed: int
    needed_text_vi: str
    needed_points: Points


def _number(value: Decimal | None) -> Points | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


class ScoreOut(Schema):
    set: str
    version: str
    legal_basis: str
    parts: dict[str, Points]
    total: Points
    band_stars: int
    minimum_level: int
    stars: int
    unanswered: list[str]
    next_level: int | None
    points_for_next: Points | None
    missing_for_next: list[MissingOut]

    @classmethod
    def of(cls, criteria_set: CriteriaSet, result: Score) -> ScoreOut:
        return cls(
            set=criteria_set.id,
            version=criteria_set.version,
            legal_basis=criteria_set.legal_basis,
            parts={part: _number(points) for part, points in result.parts.items()},
            total=_number(result.total),
            band_stars=result.band,
            minimum_level=result.minimum_level,
            stars=result.stars,
            unanswered=[c.id for c in result.unanswered],
            next_level=result.next_level,
            points_for_next=_number(result.points_for_next),
            missing_for_next=[
                MissingOut(
                    criterion=s.criterion.id,
                    chosen=s.chosen.n if s.chosen else None,
                    needed=s.needed.n,
                    needed_text_vi=s.needed.text_vi,
                    needed_points=s.needed.points,
                )
                for s in result.missing_for_next
            ],
        )


class YearOut(Schema):
    year: int
    harvested: dict[str, Amount] = Field(description="Everything the organisation harvested that year, by unit.")
    raw_material: dict[str, Amount] = Field(description="Of it, or bought in, what went into this product, by unit.")
    made: Amount = Field(description="The processed product, before packing, in the product's unit.")
    unit: str
    packed_units: Amount


class FiguresOut(Schema):
    """Mẫu 02 part II, the same figures as the dossier page and its PDF."""

    members: int
    households: int
    area_m2: Amount
    volumes: list[YearOut]

    @classmethod
    def of(cls, production: Production) -> FiguresOut:
        return cls(
            members=production.members,
            households=production.households,
            area_m2=production.area_m2,
            volumes=[
                YearOut(
                    year=v.year,
                    harvested={u.value: q for u, q in v.harvested.items()},
                    raw_material={u.value: q for u, q in v.raw_material.items()},
                    made=v.made,
                    unit=v.unit.value,
                    packed_units=v.packed_units,
                )
                for v in production.volumes
            ],
        )


class AnswerOut(Schema):
    criterion: str
    option: int | None
    finding: dict | None = Field(description="What the records showed when last read: facts, numbers as text.")
    evidence: str | None = Field(description="The evidence in words, in the caller's language.")


class DossierOut(Schema):
    id: int
    product_id: int
    product: str
    status: str
    criteria_set: str
    figures: FiguresOut
    answers: list[AnswerOut]
    score: ScoreOut

    @classmethod
    def of(cls, dossier: OcopDossier, production: Production, criteria_set: CriteriaSet, result: Score) -> DossierOut:
        return cls(
            id=dossier.id,
            product_id=dossier.product_id,
            product=dossier.product.name_vi,
            status=dossier.status.value,
            criteria_set=dossier.criteria_set,
            figures=FiguresOut.of(production),
            answers=[
                AnswerOut(criterion=a.criterion_id, option=a.option_n, finding=a.finding, evidence=a.evidence_text())
                for a in dossier.answers
            ],
            score=ScoreOut.of(criteria_set, result),
        )
