"""The one lookup of a record inside an organisation: another organisation's record, an archived one
where a current one is needed, an id out of range or a missing key are each "choose from the list",
on the field that named it — never a record of someone else."""

from __future__ import annotations

import pytest

from tests.factories import make_org, make_plot, make_village
from traceability.accounts.tenancy import all_in_org, in_org
from traceability.errors import DomainError
from traceability.farm.models import Plot, Village
from traceability.registry import set_archived


def test_a_record_is_found_only_in_its_own_organisation(ctx):
    a, b = make_org("a"), make_org("b")
    plot = make_plot(a)
    assert in_org(Plot, a, plot.id, field="plot_id") is plot
    with pytest.raises(DomainError) as refused:
        in_org(Plot, b, plot.id, field="plot_id")
    assert refused.value.field == "plot_id"


def test_by_code_and_active(ctx):
    org = make_org()
    village = make_village(org, "Tây Hoàng")
    plot = make_plot(org, village, code="N1")
    assert in_org(Plot, org, "N1", by="code") is plot
    set_archived(village, True)
    assert in_org(Village, org, village.id) is village  # history may still point at it
    with pytest.raises(DomainError, match="village"):
        in_org(Village, org, village.id, field="village_id", active=True, message="Choose a village from the list.")


def test_an_id_as_a_form_posts_it(ctx):
    org = make_org()
    plot = make_plot(org)
    assert in_org(Plot, org, str(plot.id)) is plot


@pytest.mark.parametrize("key", [0, -1, 2**31, 10**20, "0", "-1", "1.0", "١", "9" * 30, 1.5, True])
def test_odd_ids_are_not_found(ctx, key):
    org = make_org()
    make_plot(org)  # id 1 exists: True must not find it
    with pytest.raises(DomainError):
        in_org(Plot, org, key, field="plot_id")


def test_a_missing_key(ctx):
    org = make_org()
    assert in_org(Plot, org, None, required=False) is None
    with pytest.raises(DomainError):
        in_org(Plot, org, None, field="plot_id")


def test_all_or_none(ctx):
    a, b = make_org("a"), make_org("b")
    mine, theirs = make_plot(a), make_plot(b)
    assert all_in_org(Plot, a, [mine.id, mine.id]) == [mine]
    assert all_in_org(Plot, a, []) == []
    for ids in ([mine.id, theirs.id], [mine.id, 2**40]):
        with pytest.raises(DomainError):
            all_in_org(Plot, a, ids, field="plot_ids")
