"""Form pieces shared by every feature: required-field messages, locale-aware decimals, filters.

Forms check the shape of input; services check the rules.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, FileField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import TextInput

from traceability.database import MAX_ID


def _(s: str) -> str:  # marks WTForms' own messages for extraction; Form.Meta translates them at run time
    return s


def _n(singular: str, plural: str) -> str:  # the same, for WTForms' messages with a plural form
    return singular


WTFORMS_MESSAGES = (
    _("This field is required."),
    _("Not a valid choice."),
    _("Invalid Choice: could not coerce."),
    _("Not a valid integer value."),
    _("Not a valid decimal value."),
    _("Not a valid date value."),
    _("Invalid email address."),
    _n("Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long."),
    _n("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters."),
    _("Field must be between %(min)d and %(max)d characters long."),
    _("Number must be at least %(min)s."),
    _("Number must be at most %(max)s."),
    _("Number must be between %(min)s and %(max)s."),
    _("Invalid CSRF token."),
    _("The CSRF token is missing."),
    _("The CSRF token has expired."),
    _("The CSRF tokens do not match."),
)


def date_field(label, *validators, **kwargs) -> DateField:
    """A date picked on the phone's own calendar (HTML date input); no script needed."""
    return DateField(label, [*validators], format="%Y-%m-%d", **kwargs)


def photo_field(label=None) -> FileField:
    return FileField(
        label or _l("Photo (optional)"),
        render_kw={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"},
    )


def optional_int(value):
    """Coerce a select's value to an id; the empty choice is None. A number no id column holds is
    refused here ("could not coerce"), before any query is built with it."""
    if value in (None, "", "None"):
        return None
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError(value)
    return number


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def required():
    return DataRequired(message=_l("Fill in this field."))


def required_input():
    """For fields that parse their input (numbers): keeps the parse error rather than hiding it."""
    return InputRequired(message=_l("Fill in this field."))


# Control characters no text field means to hold (tab and line breaks are text). PostgreSQL refuses a
# NUL in text outright and SQLite would store it; a lone surrogate cannot be encoded at all. Form data
# decodes bad UTF-8 as U+FFFD, so surrogates reach only the API, whose schemas refuse them too.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def unsavable(value: str) -> bool:
    """True when ``value`` holds a character no text column can keep as typed."""
    return bool(_CONTROL.search(value))


def clean_text(value: str) -> str:
    """A raw value read outside a form (many notes on one page) without such characters."""
    return _CONTROL.sub("", value)


class Form(FlaskForm):
    """Base of every form.

    WTForms' own messages come from our catalogues (WTForms has no Vietnamese), and a value with a
    control character is refused on its field, kept as typed so the user sees what to remove.
    """

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return get_translations()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if any(isinstance(raw, str) and unsavable(raw) for raw in field.raw_data or ()):
                message = _l(
                    "This text holds a hidden control character (such as NUL) that cannot be saved: retype it."
                )
                field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
                valid = False
        return valid


def strip(value):
    """Trim and collapse whitespace; an empty answer becomes None."""
    if isinstance(value, str):
        value = " ".join(value.split())
        return value or None
    return value


def strip_lines(value):
    """Trim a multi-line text, keeping its line breaks; empty becomes None."""
    if isinstance(value, str):
        value = "\n".join(line.rstrip() for line in value.strip().splitlines())
        return value or None
    return value


def text(label, *validators, max_length: int = 120, **kwargs) -> StringField:
    return StringField(label, [*validators, Length(max=max_length)], filters=[strip], **kwargs)


def parse_decimal(raw: str, locale: str) -> Decimal:
    """Read a number as a Vietnamese or English speaker types it.

    Vietnamese writes 1.234,5 and English 1,234.5. A single separator followed by anything but
    exactly three digits can only be a decimal point (``12,5`` or ``12.5`` in either language).
    """
    s = raw.strip().replace(" ", "").replace("\u00a0", "")
    if not re.fullmatch(r"[-+]?[\d.,]+", s) or not re.search(r"\d", s):
        raise InvalidOperation(raw)
    group, decimal = (".", ",") if locale == "vi" else (",", ".")
    if "." in s and "," in s:
        if s.rfind(decimal) < s.rfind(group):
            group, decimal = decimal, group
        s = s.replace(group, "").replace(decimal, ".")
    else:
        sep = "." if "." in s else ("," if "," in s else None)
        if sep:
            head, _sep, tail = s.rpartition(sep)
            if s.count(sep) > 1 or (sep == group and len(tail) == 3):
                s = s.replace(sep, "")
            else:
                s = head.replace(sep, "") + "." + tail
    return Decimal(s)


def format_decimal_input(value: Decimal | None, locale: str) -> str:
    if value is None:
        return ""
    text_value = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if "." in text_value:
        text_value = text_value.rstrip("0").rstrip(".")
    return text_value.replace(".", ",") if locale == "vi" else text_value


class LocalDecimalField(Field):
    """A decimal typed on a phone keypad, in the user's locale; shown back the same way."""

    widget = TextInput(input_type="text")

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_decimal_input(self.data, str(get_locale() or "vi"))

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_decimal(valuelist[0], str(get_locale() or "vi"))
        except (InvalidOperation, ValueError):
            self.data = None
            raise ValueError(_l("Enter a number, for example 1.250,5.")) from None
