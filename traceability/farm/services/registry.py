"""Registry of villages, member households and plots. Services flush; the view commits."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from traceability.accounts import policy
from traceability.accounts.models import Organisation, User
from traceability.accounts.services import household_of, normalise_phone
from traceability.accounts.tenancy import in_org, of_org
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.farm.models import Household, Plot, VietGapStatus, Village
from traceability.registry import check_code


def save_village(
    org: Organisation, village: Village | None, *, name: str, commune: str | None = None, province: str | None = None
) -> Village:
    village = village or Village(organisation_id=org.id)
    duplicate = db.session.scalar(
        sa.select(Village.id).where(of_org(Village, org.id), Village.name == name, Village.id != (village.id or 0))
    )
    if duplicate:
        raise DomainError(_("A village with this name already exists."), "name")
    village.name = name
    village.commune = commune or org.commune
    village.province = province or org.province
    db.session.add(village)
    db.session.flush()
    return village


def _village(org: Organisation, village_id: int | None) -> Village:
    return in_org(
        Village, org, village_id, field="village_id", active=True, message=_("Choose a village from the list.")
    )


def save_household(
    org: Organisation, household: Household | None, *, name: str, village_id: int, phone: str | None = None
) -> Household:
    village = _village(org, village_id)
    phone_norm = None
    if phone:
        phone_norm = normalise_phone(phone)
        if phone_norm is None:
            raise DomainError(_("This is not a Vietnamese phone number (10 digits starting with 0)."), "phone")
    household = household or Household(organisation_id=org.id)
    household.name = name
    household.village = village
    household.phone = phone_norm
    db.session.add(household)
    db.session.flush()
    return household


def save_plot(
    org: Organisation,
    plot: Plot | None,
    *,
    code: str,
    name: str,
    village_id: int,
    area_m2: Decimal,
    crop: str,
    household_id: int | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    vietgap_status: VietGapStatus | str = VietGapStatus.NONE,
    by: User | None = None,
) -> Plot:
    """``by``: who saves it (web and API always say): a member with a household keeps to its own
    plots, as for every record of a household (``accounts.policy``)."""
    if by is not None:
        own = household_of(by, org)
        policy.check_records_for(own, household_id, "household_id")
        if plot is not None:
            policy.check_records_for(own, plot.household_id, "household_id")
    code = check_code(Plot, org.id, code, plot.id if plot else None)
    village = _village(org, village_id)
    household = in_org(
        Household,
        org,
        household_id,
        field="household_id",
        active=True,
        required=False,
        message=_("Choose a household from the list."),
    )
    if area_m2 is None or area_m2 <= 0:
        raise DomainError(_("The area must be more than 0 m²."), "area_m2")
    if area_m2 > Decimal("10000000"):
        raise DomainError(_("The area is too large for one plot (at most 1,000 ha)."), "area_m2")
    if (latitude is None) != (longitude is None):
        raise DomainError(_("Give both latitude and longitude, or neither."), "latitude")
    if latitude is not None and not (-90 <= latitude <= 90):
        raise DomainError(_("Latitude lies between -90 and 90."), "latitude")
    if longitude is not None and not (-180 <= longitude <= 180):
        raise DomainError(_("Longitude lies between -180 and 180."), "longitude")
    plot = plot or Plot(organisation_id=org.id)
    plot.code = code
    plot.name = name
    plot.village = village
    plot.household = household
    plot.area_m2 = area_m2
    plot.crop = crop
    plot.latitude = latitude
    plot.longitude = longitude
    plot.vietgap_status = VietGapStatus(vietgap_status)
    db.session.add(plot)
    db.session.flush()
    return plot
