from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import Email, Length, Optional

from traceability.forms import Form, required, strip, text


class LoginForm(Form):
    login = StringField(
        _l("Phone number or email"),
        [required(), Length(max=255)],
        filters=[strip],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(_l("Password"), [required()], render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Stay logged in on this device"), default=True)
    next = HiddenField()


class EmptyForm(Form):
    """A form with only its CSRF token, for buttons that change something (log out, archive…)."""


class MemberForm(Form):
    """An administrator adds a person to the organisation, with a first password to hand over."""

    name = StringField(_l("Full name"), [required(), Length(max=120)], filters=[strip])
    phone = StringField(
        _l("Phone number"), [Length(max=20)], filters=[strip], render_kw={"inputmode": "tel", "autocomplete": "off"}
    )
    email = StringField(
        _l("Email (if the person has one)"),
        [Optional(), Email(), Length(max=255)],
        filters=[strip],
        render_kw={"inputmode": "email", "autocomplete": "off"},
    )
    role = SelectField(_l("Role"))
    password = PasswordField(
        _l("First password"),
        [required(), Length(min=8, max=128)],
        description=_l("At least 8 characters. Give it to the person, who can log in with it."),
        render_kw={"autocomplete": "new-password"},
    )


class OrganisationForm(Form):
    name = text(_l("Name"), required(), max_length=255)
    registration_number = text(_l("Registration number"), max_length=40)
    address_line = text(_l("Address (house number, street)"), max_length=255)
    village = text(_l("Village"))
    commune = text(_l("Commune"), required())
    province = text(_l("Province"), required())
    gs1_company_prefix = text(
        _l("GS1 company prefix"),
        max_length=12,
        description=_l("From GS1 Vietnam, if the organisation has one."),
        render_kw={"inputmode": "numeric"},
    )
    gln = text(_l("GLN (global location number)"), max_length=13, render_kw={"inputmode": "numeric"})
    public_phone = text(
        _l("Public phone (and Zalo)"),
        max_length=20,
        description=_l("The organisation's own number, shown to buyers on every lot's page. Leave empty to show none."),
        render_kw={"inputmode": "tel"},
    )


class TokenForm(Form):
    name = text(_l("What is the token for?"), required(), description=_l("For example: the packing-house tablet"))


class PasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"), [required()], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        _l("New password"),
        [required(), Length(min=8, max=128)],
        description=_l("At least 8 characters. Every other device where you are logged in is logged out."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(_l("New password again"), [required()], render_kw={"autocomplete": "new-password"})
