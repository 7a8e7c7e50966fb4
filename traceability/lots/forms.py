from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from traceability.forms import (
    Form,
    LocalDecimalField,
    choices,
    date_field,
    optional_int,
    required,
    required_input,
    strip_lines,
    text,
)
from traceability.lots.models import DISPOSAL_LABELS, PARTY_KIND_LABELS
from traceability.units import NET_CONTENT_UNITS, unit_choices


def _lot_code(label, *validators, **kwargs):
    """A lot typed with the phone's suggestions (``lots/picking_form.html`` lists the active lots),
    not picked from a drop-down of hundreds."""
    kwargs.setdefault("render_kw", {"list": "lot-codes", "autocapitalize": "characters"})
    return StringField(label, [*validators, Length(max=20)], filters=[upper_code], **kwargs)


def upper_code(value):
    return " ".join(value.split()).upper() if isinstance(value, str) else value


class ProcessingForm(Form):
    processed_on = date_field(_l("Date"), required())
    input_1 = _lot_code(_l("Input lot"), required())
    quantity_1 = LocalDecimalField(_l("Quantity taken"), [required_input()])
    input_2 = _lot_code(_l("Second input lot"), Optional())
    quantity_2 = LocalDecimalField(_l("Quantity taken from the second lot"), [Optional()])
    output_product = SelectField(_l("Product made"), [required()])
    output_quantity = LocalDecimalField(
        _l("Quantity made"), [required_input()], description=_l("In the product's unit.")
    )
    steps = TextAreaField(
        _l("Steps (one per line)"),
        [Optional(), Length(max=2000)],
        filters=[strip_lines],
        description=_l("For example: rửa, xay, lọc, lắng, phơi"),
    )
    reason = text(_l("Reason, if the yield is unusual"), max_length=500)

    more_fields = ("input_2", "quantity_2", "steps", "reason")
    more_label = _l("Second input, steps, reason")


class PackingForm(Form):
    source_lot_code = _lot_code(_l("From lot"), required())
    product_code = SelectField(_l("Product"), [required()])
    units = IntegerField(
        _l("Number of units"), [required_input(), NumberRange(min=1, max=100000)], render_kw={"inputmode": "numeric"}
    )
    net_content = LocalDecimalField(_l("Net content of one unit"), [required_input()])
    net_unit = SelectField(_l("Unit of the net content"), choices=choices(unit_choices(NET_CONTENT_UNITS)))
    packed_on = date_field(_l("Packing date"), required())
    serials = BooleanField(_l("A serial number on every unit"))


class SaleForm(Form):
    lot_code = _lot_code(_l("Lot code"), required())
    buyer_name = text(_l("Buyer"), required(), render_kw={"list": "buyer-names"})
    buyer_phone = text(
        _l("Buyer's phone"),
        max_length=20,
        description=_l(
            "To reach the buyer if the lot is recalled. Only managers see it. "
            "Leave it empty for a buyer already listed: the number kept is used."
        ),
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    buyer_kind = SelectField(_l("Kind of buyer"), choices=choices(PARTY_KIND_LABELS.items()))
    quantity = LocalDecimalField(_l("Quantity (in the lot's unit)"), [required_input()])
    sold_on = date_field(_l("Date"), required())
    invoice_ref = text(_l("Invoice number"), max_length=60)

    more_fields = ("invoice_ref",)
    more_label = _l("Invoice")


class ReceiveForm(Form):
    supplier_name = text(_l("Supplier"), required())
    supplier_lot_code = text(_l("Supplier's lot code"), max_length=60)
    crop = text(_l("What was bought (crop)"), render_kw={"list": "crop-suggestions"})
    quantity = LocalDecimalField(_l("Quantity"), [required_input()])
    unit = SelectField(_l("Unit"), choices=choices(unit_choices()))
    received_on = date_field(_l("Date received"), required())


class RecallForm(Form):
    reason = TextAreaField(_l("Why is it recalled?"), [required(), Length(max=2000)], filters=[strip_lines])
    opened_on = date_field(_l("Date"), required())


class CloseRecallForm(Form):
    disposal = SelectField(_l("What was done with the products"), choices=choices(DISPOSAL_LABELS.items()))
    closed_on = date_field(_l("Date"), required())
    note = text(_l("Note"), max_length=500)


class ProcessingYieldForm(Form):
    input_name = text(_l("Raw material (crop)"), required(), render_kw={"list": "crop-suggestions"})
    output_product_id = SelectField(_l("Product made"), [required()], coerce=optional_int)
    min_ratio = LocalDecimalField(
        _l("Lowest yield"),
        [required_input()],
        description=_l("kg or litres of product per kg (or per nut) of raw material; for example 0,03 for 3 %"),
    )
    max_ratio = LocalDecimalField(_l("Highest yield"), [required_input()])
    source = text(_l("Source of these figures"), max_length=255)
