from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Length

from traceability.farm.models import VIETGAP_STATUS_LABELS
from traceability.forms import Form, LocalDecimalField, Optional, choices, required, required_input, strip, text


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class VillageForm(Form):
    name = text(_l("Village name"), required())
    commune = text(_l("Commune"), description=_l("Leave empty to use your organisation's commune."))
    province = text(_l("Province"), description=_l("Leave empty to use your organisation's province."))


class HouseholdForm(Form):
    name = text(_l("Head of household"), required())
    village_id = SelectField(_l("Village"), [required()], coerce=_optional_int)
    phone = StringField(
        _l("Phone (private, never shown publicly)"), [Length(max=20)], filters=[strip],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )


class PlotForm(Form):
    code = text(_l("Plot code"), required(), max_length=40, description=_l("For example A3"))
    name = text(_l("Plot name"), required())
    village_id = SelectField(_l("Village"), [required()], coerce=_optional_int)
    household_id = SelectField(_l("Household"), [Optional()], coerce=_optional_int)
    area_m2 = LocalDecimalField(_l("Area (m²)"), [required_input()], description=_l("1 sào = 500 m²"))
    crop = text(_l("Crop"), required(), render_kw={"list": "crop-suggestions"})
    vietgap_status = SelectField(
        _l("VietGAP status"), choices=choices(VIETGAP_STATUS_LABELS.items())
    )
    latitude = LocalDecimalField(_l("Latitude"), [Optional()], description=_l("For example 16,5712"))
    longitude = LocalDecimalField(_l("Longitude"), [Optional()], description=_l("For example 107,5021"))

    # Shown folded: most plots are registered without coordinates.
    more_fields = ("latitude", "longitude")
    more_label = _l("Location on the map (optional)")
