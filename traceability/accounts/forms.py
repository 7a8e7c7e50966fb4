from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import Length

from traceability.forms import required, strip


class LoginForm(FlaskForm):
    login = StringField(
        _l("Phone number or email"), [required(), Length(max=255)], filters=[strip],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(_l("Password"), [required()], render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Stay logged in on this device"), default=True)
    next = HiddenField()


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for buttons that change something (log out, archive…)."""
