"""OCOP scoring: bands at their boundaries, and the per-star minimums, table by table."""

from decimal import Decimal

import pytest

from traceability.errors import DomainError
from traceability.ocop.criteria import _parse
from traceability.ocop.scoring import band_stars, score


@pytest.mark.parametrize(
    ("total", "stars"),
    [
        (0, 1),
        (29.9, 1),
        (30, 2),
        (49.9, 2),
        (50, 3),
        (69.9, 3),
        (70, 4),
        (89.9, 4),
        (90, 5),
        (100, 5),
        (Decimal("49.99"), 2),
        (Decimal("89.999"), 4),
    ],
)
def test_band_boundaries(total, stars):
    assert band_stars(total) == stars


def _criterion(cid, points, minimums=None):
    """A criterion whose options score ``points`` in order; ``minimums`` maps option n → star level."""
    minimums = minimums or {}
    return {
        "id": cid,
        "name_vi": cid,
        "max": max(points),
        "options": [
            {"n": n, "text_vi": f"{cid}/{n}", "points": p, "minimum_for": minimums.get(n)}
            for n, p in enumerate(points, 1)
        ],
    }


# A toy set with the real part maxima (A 40, B 25, C 35): one big criterion per part to set the total,
# plus three criteria carrying star minimums like the traceability ones (A2.3, B5.1, C10).
TOY = _parse(
    {
        "id": "toy",
        "version": "test",
        "legal_basis": "test",
        "set_number": 0,
        "name_vi": "Thử",
        "parts": [
            {
                "id": "A",
                "max": 40,
                "sections": [
                    {
                        "id": "A1",
                        "name_vi": "",
                        "criteria": [_criterion("A1.1", [0, 10, 20, 37]), _criterion("A2.3", [1, 2, 3], {1: 3, 3: 4})],
                    }
                ],
            },
            {
                "id": "B",
                "max": 25,
                "sections": [
                    {
                        "id": "B5",
                        "name_vi": "",
                        "criteria": [_criterion("B4.1", [0, 10, 20]), _criterion("B5.1", [0, 1, 2, 3, 5], {5: 4})],
                    }
                ],
            },
            {
                "id": "C",
                "max": 35,
                "sections": [
                    {
                        "id": "C1",
                        "name_vi": "",
                        "criteria": [
                            _criterion("C9", [0, 10, 20, 30]),
                            _criterion("C10", [0, 1, 3, 5], {2: 3, 3: 4, 4: 5}),
                        ],
                    }
                ],
            },
        ],
    }
)
BEST = {"A1.1": 4, "A2.3": 3, "B4.1": 3, "B5.1": 5, "C9": 4, "C10": 4}  # 37+3+20+5+30+5 = 100


@pytest.mark.parametrize(
    ("change", "total", "band", "minimum", "stars"),
    [
        ({}, 100, 5, 5, 5),
        ({"C10": 3}, 98, 5, 4, 4),  # 5★ score, but C10 below its 5★ minimum
        ({"B5.1": 4}, 98, 5, 3, 3),  # no story in the traceability content: not even 4★
        ({"A2.3": 2, "C10": 3}, 97, 5, 3, 3),  # label without traceability code
        ({"A2.3": 1, "C10": 1}, 93, 5, 2, 2),  # C10 below the 3★ minimum: 2★ whatever the score
        ({"A1.1": 3, "C9": 3}, 73, 4, 5, 4),  # minimums all met, band holds it to 4★
        ({"A1.1": 2, "C9": 2, "B4.1": 2}, 43, 2, 5, 2),
        ({"A1.1": 1, "B4.1": 1, "C9": 1}, 13, 1, 5, 1),
    ],
)
def test_stars_are_the_lower_of_band_and_minimums(change, total, band, minimum, stars):
    result = score(TOY, {**BEST, **change})
    assert (result.total, result.band, result.minimum_level, result.stars) == (total, band, minimum, stars)
    assert result.parts["A"] + result.parts["B"] + result.parts["C"] == result.total


def test_what_is_missing_for_the_next_star():
    result = score(TOY, {**BEST, "B5.1": 4, "C10": 2})
    assert result.stars == 3 and result.next_level == 4
    assert {(s.criterion.id, s.needed.n) for s in result.missing_for_next} == {("B5.1", 5), ("C10", 3)}
    assert result.points_for_next == 0  # the score is there; the minimums are not
    low = score(TOY, {**BEST, "A1.1": 2, "C9": 2})  # 10+3+20+5+10+5 = 53: band 3, next band needs 17 more
    assert low.stars == 3 and low.points_for_next == 17 and low.missing_for_next == []


def test_unanswered_criteria_count_nothing_and_are_listed():
    result = score(TOY, {"A1.1": 4})
    assert result.total == 37 and result.stars == 2  # C10 unanswered: below the 3★ minimum
    assert {c.id for c in result.unanswered} == {"A2.3", "B4.1", "B5.1", "C9", "C10"}


@pytest.mark.parametrize(
    "answers", [{"A9.9": 1}, {"A1.1": 9}, {"A1.1": 0}, {"A1.1": "2"}, {"A1.1": True}, {"A1.1": 1.5}]
)
def test_answers_off_the_sheet_are_refused_by_name(ctx, answers):
    with pytest.raises(DomainError) as error:
        score(TOY, answers)
    assert error.value.field == next(iter(answers))
