from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import Length, Optional

from traceability.forms import (
    Form,
    choices,
    date_field,
    optional_int,
    required,
    strip_lines,
    text,
)
from traceability.quality.models import CERTIFICATE_KIND_LABELS, INSPECTION_SCOPE_LABELS


class InspectionForm(Form):
    scope = SelectField(_l("What is inspected"), choices=choices(INSPECTION_SCOPE_LABELS.items()))
    plot_id = SelectField(_l("Plot (if a plot)"), [Optional()], coerce=optional_int)
    household_id = SelectField(_l("Household (if a household)"), [Optional()], coerce=optional_int)
    inspected_on = date_field(_l("Inspection date"), required())


class NonConformityForm(Form):
    criterion_id = SelectField(_l("Failed criterion"), [required()])
    corrective_action = TextAreaField(_l("Corrective action"), [required(), Length(max=2000)], filters=[strip_lines])
    due_on = date_field(_l("To be done by"), required())


class CloseNonConformityForm(Form):
    closed_on = date_field(_l("Done on"), required())
    closing_note = text(_l("What was done"), max_length=500)


class CertificateForm(Form):
    kind = SelectField(_l("Kind"), choices=choices(CERTIFICATE_KIND_LABELS.items()))
    number = text(_l("Certificate number"), required())
    issuer = text(_l("Issued by"), required(), max_length=255)
    valid_from = date_field(_l("Valid from"), required())
    valid_to = date_field(_l("Valid until"), required())
    stars = SelectField(
        _l("OCOP stars"),
        choices=choices([("", "—")] + [(n, "★" * n) for n in range(1, 6)]),
        description=_l("For an OCOP certificate: the stars of the rating decision."),
    )
    plot_ids = SelectMultipleField(
        _l("Plots covered"),
        coerce=optional_int,
        description=_l("Leave all scope lists empty if it covers the whole organisation."),
    )
    household_ids = SelectMultipleField(_l("Households covered"), coerce=optional_int)
    product_ids = SelectMultipleField(_l("Products covered"), coerce=optional_int)

    more_fields = ("plot_ids", "household_ids", "product_ids")
    more_label = _l("Scope: plots, households, products")
