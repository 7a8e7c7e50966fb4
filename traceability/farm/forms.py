from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from traceability.farm.models import INPUT_KIND_LABELS, VIETGAP_STATUS_LABELS
from traceability.forms import (
    Form,
    LocalDecimalField,
    choices,
    date_field,
    optional_int,
    photo_field,
    required,
    required_input,
    strip,
    text,
)

# Suggested in the crop fields (members may type another): the commune's crops.
DEFAULT_CROPS = ("Khổ qua (mướp đắng)", "Nghệ", "Sả chanh", "Dừa", "Ớt", "Hành tăm (ném)")


class VillageForm(Form):
    name = text(_l("Village name"), required())
    commune = text(_l("Commune"), description=_l("Leave empty to use your organisation's commune."))
    province = text(_l("Province"), description=_l("Leave empty to use your organisation's province."))


class HouseholdForm(Form):
    name = text(_l("Head of household"), required())
    village_id = SelectField(_l("Village"), [required()], coerce=optional_int)
    phone = StringField(
        _l("Phone (private, never shown publicly)"),
        [Length(max=20)],
        filters=[strip],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )


class PlotForm(Form):
    code = text(_l("Plot code"), required(), max_length=40, description=_l("For example A3"))
    name = text(_l("Plot name"), required())
    village_id = SelectField(_l("Village"), [required()], coerce=optional_int)
    household_id = SelectField(_l("Household"), [Optional()], coerce=optional_int)
    area_m2 = LocalDecimalField(_l("Area (m²)"), [required_input()], description=_l("1 sào = 500 m²"))
    crop = text(_l("Crop"), required(), render_kw={"list": "crop-suggestions"})
    vietgap_status = SelectField(_l("VietGAP status"), choices=choices(VIETGAP_STATUS_LABELS.items()))
    latitude = LocalDecimalField(_l("Latitude"), [Optional()], description=_l("For example 16,5712"))
    longitude = LocalDecimalField(_l("Longitude"), [Optional()], description=_l("For example 107,5021"))

    # Shown folded: most plots are registered without coordinates.
    more_fields = ("latitude", "longitude")
    more_label = _l("Location on the map (optional)")


class PlantingForm(Form):
    plot_id = SelectField(_l("Plot"), [required()], coerce=optional_int)
    sown_on = date_field(_l("Sowing or transplanting date"), required())
    crop = text(_l("Crop"), render_kw={"list": "crop-suggestions"}, description=_l("Leave empty for the plot's crop."))
    variety = text(_l("Variety"))
    seed_source = text(_l("Seed from (shop, supplier)"), max_length=255)
    seed_lot = text(_l("Seed lot number"), max_length=60)
    area_m2 = LocalDecimalField(
        _l("Area planted (m²)"), [Optional()], description=_l("Leave empty for the whole plot.")
    )
    expected_harvest_from = date_field(_l("Harvest expected from"), Optional())
    expected_harvest_to = date_field(_l("Harvest expected until"), Optional())

    more_fields = ("seed_source", "seed_lot", "area_m2", "expected_harvest_from", "expected_harvest_to")
    more_label = _l("Seed, area and expected harvest")


OTHER_PRODUCT = "__other__"


class InputForm(Form):
    """A spray or fertiliser, in five taps: planting, date, product, dose, save."""

    planting_id = SelectField(_l("Plot and season"), [required()], coerce=optional_int)
    applied_on = date_field(_l("Date applied"), required())
    product = SelectField(_l("Input"), [required()])  # fertiliser or plant protection: "Vật tư"
    dose = LocalDecimalField(_l("Amount used"), [Optional()])
    dose_unit = text(_l("Unit of the amount"), max_length=20, description=_l("For example ml, g, kg, bình 16 L"))
    # For a product that is not on the organisation's list:
    trade_name = text(_l("Trade name"), description=_l("Only if the product is not in the list."))
    kind = SelectField(_l("Kind"), [Optional()], choices=choices([("", _l("Choose…")), *INPUT_KIND_LABELS.items()]))
    active_ingredient = text(_l("Active ingredient"), max_length=255)
    phi_days = IntegerField(
        _l("Pre-harvest interval (days, from the label)"),
        [Optional(), NumberRange(min=0, max=365, message=_l("Between 0 and 365 days."))],
        render_kw={"inputmode": "numeric"},
    )
    area_m2 = LocalDecimalField(
        _l("Area treated (m²)"), [Optional()], description=_l("Leave empty for the whole planting.")
    )
    method = text(_l("Method"), max_length=40, description=_l("For example phun (spray), bón gốc"))
    operator = text(_l("Who applied it"))
    photo = photo_field()
    reason = text(_l("Why is this corrected?"), max_length=255)

    more_fields = (
        "dose_unit",
        "trade_name",
        "kind",
        "active_ingredient",
        "phi_days",
        "area_m2",
        "method",
        "operator",
        "photo",
    )
    more_label = _l("Other product, unit, area, method, photo")


class HarvestForm(Form):
    planting_id = SelectField(_l("Plot and season"), [required()], coerce=optional_int)
    harvested_on = date_field(_l("Harvest date"), required())
    quantity_kg = LocalDecimalField(_l("Quantity (kg)"), [required_input()])
    grade = SelectField(
        _l("Grade"),
        [Optional()],
        choices=choices([("", _l("Not graded")), ("1", _l("Grade 1")), ("2", _l("Grade 2")), ("3", _l("Grade 3"))]),
    )
    harvester = text(_l("Harvested by"), description=_l("Leave empty if it was the household."))
    photo = photo_field()

    more_fields = ("harvester", "photo")
    more_label = _l("Who harvested, photo")


class PermittedInputForm(Form):
    trade_name = text(_l("Trade name"), required())
    name_en = text(
        _l("English name"), description=_l("For the English page, if the name is Vietnamese words, not a brand.")
    )
    kind = SelectField(_l("Kind"), choices=choices(INPUT_KIND_LABELS.items()))
    active_ingredient = text(_l("Active ingredient"), max_length=255)
    phi_days = IntegerField(
        _l("Pre-harvest interval (days, from the label)"),
        [Optional(), NumberRange(min=0, max=365, message=_l("Between 0 and 365 days."))],
        render_kw={"inputmode": "numeric"},
    )
    dose_unit = text(_l("Usual unit"), max_length=20)
    source = text(_l("Source of the PHI and registration"), max_length=255)
