from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from traceability.forms import Form, LocalDecimalField, choices, date_field, optional_int, required, strip_lines, text
from traceability.ocop.models import APPLICATION_TYPE_LABELS


class DossierForm(Form):
    product_id = SelectField(_l("Product"), coerce=optional_int, validators=[required()])
    criteria_set = SelectField(
        _l("Criteria set"),
        validators=[required()],
        description=_l("Chosen by the product's main use (Mẫu 01, item 3)."),
    )
    application_type = SelectField(_l("Application"), choices=choices(APPLICATION_TYPE_LABELS.items()))


class DetailsForm(Form):
    results_year = IntegerField(
        _l("Year of the figures"), validators=[Optional(), NumberRange(2000, 2100)], render_kw={"inputmode": "numeric"}
    )
    # Numeric(16, 0) in the database: up to a million billion đồng, losses as negative profit.
    revenue_vnd = LocalDecimalField(_l("Revenue of the product that year (đồng)"), [Optional(), NumberRange(0, 10**15)])
    profit_vnd = LocalDecimalField(
        _l("Profit of the product that year (đồng)"), [Optional(), NumberRange(-(10**15), 10**15)]
    )
    plan = TextAreaField(_l("The plan ahead (Mẫu 02, part IV)"), [Length(max=5000)], filters=[strip_lines])
    story = TextAreaField(
        _l("The product's story"),
        [Length(max=20000)],
        description=_l(
            "Shown on the public page of every lot. Paragraphs, bold and lists are kept; anything else is removed."
        ),
    )


class AttachmentForm(Form):
    title = text(_l("What the document is"), required(), max_length=255)
    criterion_id = SelectField(_l("Evidence for criterion"), validators=[Optional()])
    file = FileField(
        _l("File (PDF, JPEG or PNG, up to 10 MB)"), render_kw={"accept": "application/pdf,image/jpeg,image/png"}
    )


class CommentForm(Form):
    comment = TextAreaField(_l("Comment"), [Length(max=5000)], filters=[strip_lines])


class ReviewForm(CommentForm):
    """Mẫu 03: the commune's assessment of what it knows first-hand."""

    local_raw_material = TextAreaField(_l("Raw material from the commune"), [required(), Length(max=2000)])
    local_labour = TextAreaField(_l("Workers from the commune"), [required(), Length(max=2000)])
    origin_of_idea = TextAreaField(_l("Origin of the product idea"), [required(), Length(max=2000)])
    local_identity = TextAreaField(_l("Local identity of the product"), [required(), Length(max=2000)])


class RateForm(CommentForm):
    stars = SelectField(
        _l("Stars awarded"),
        coerce=optional_int,
        validators=[required()],
        choices=choices([("", "—")] + [(n, "★" * n) for n in range(1, 6)]),
    )
    decision_number = text(_l("Decision number"), max_length=120)
    decided_on = date_field(_l("Decision date"), required())
