from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import Optional

from traceability.forms import (
    Form,
    LocalDecimalField,
    choices,
    date_field,
    optional_int,
    photo_field,
    required,
    required_input,
    text,
)


class HarvestForm(Form):
    planting_id = SelectField(_l("Plot and season"), [required()], coerce=optional_int)
    harvested_on = date_field(_l("Harvest date"), required())
    quantity_kg = LocalDecimalField(_l("Quantity (kg)"), [required_input()])
    grade = SelectField(_l("Grade"), [Optional()], choices=choices([
        ("", _l("Not graded")), ("1", _l("Grade 1")), ("2", _l("Grade 2")), ("3", _l("Grade 3"))]))
    harvester = text(_l("Harvested by"), description=_l("Leave empty if it was the household."))
    photo = photo_field()

    more_fields = ("harvester", "photo")
    more_label = _l("Who harvested, photo")
