from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from traceability.forms import Form, choices, required
from traceability.scans.services import provinces


class PlaceForm(Form):
    """Asked of the buyer, never required: only the province, and only if they choose to say it."""

    province = SelectField(_l("Where did you buy it? (province or city)"), validators=[required()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No province pre-selected: a buyer who just taps "Send" must not report Hà Nội by default.
        self.province.choices = choices([("", "—")] + [(code, p["name"]) for code, p in provinces().items()])
