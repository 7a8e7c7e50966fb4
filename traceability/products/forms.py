from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from traceability.forms import Form, choices, required, strip_lines, text
from traceability.products.models import PRODUCT_KIND_LABELS
from traceability.units import unit_choices


def _long_text(label):
    return TextAreaField(label, [Optional(), Length(max=4000)], filters=[strip_lines])


class ProductForm(Form):
    code = text(_l("Product code"), required(), max_length=40, description=_l("For example KHO-QUA"))
    name_vi = text(_l("Name in Vietnamese"), required(), max_length=255)
    name_en = text(_l("Name in English"), max_length=255)
    kind = SelectField(_l("Kind"), choices=choices(PRODUCT_KIND_LABELS.items()))
    unit = SelectField(_l("Unit"), choices=choices(unit_choices()))
    gtin = text(
        _l("GTIN (barcode number, optional)"),
        max_length=20,
        description=_l("8, 12, 13 or 14 digits; the last one is a check digit."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    shelf_life_days = IntegerField(
        _l("Shelf life (days)"),
        [Optional(), NumberRange(min=1, max=3650, message=_l("Between 1 and 3650 days."))],
        render_kw={"inputmode": "numeric"},
    )
    ingredients = _long_text(_l("Ingredients"))
    usage_instructions = _long_text(_l("Instructions for use"))
    storage_instructions = _long_text(_l("Storage instructions"))
    warnings = _long_text(_l("Warnings"))

    # Label texts are long and often added later: folded under one heading.
    more_fields = ("ingredients", "usage_instructions", "storage_instructions", "warnings")
    more_label = _l("Label texts: ingredients, instructions, warnings")
