from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.orm import contains_eager

from traceability.accounts import services
from traceability.accounts.forms import EmptyForm, LoginForm, MemberForm, OrganisationForm, PasswordForm, TokenForm
from traceability.accounts.models import ROLE_LABELS, ApiToken, Membership, Role, User
from traceability.accounts.policy import Write
from traceability.accounts.tenancy import MAX_ID, accessible_organisations, of_org, org_required, role_in
from traceability.accounts.tokens import create_token, revoke_token
from traceability.extensions import db, login_manager
from traceability.forms import choices
from traceability.web import add_error, attempt, form_values, safe_next, submit

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """``id.generation`` (``User.get_id``): a cookie from an older generation names nobody."""
    user_id, _sep, generation = identity.partition(".")
    if not (user_id.isdigit() and generation.isdigit() and len(user_id) < 11 and int(user_id) <= MAX_ID):
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and str(user.session_generation) == generation else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        user, error = attempt(
            lambda: services.authenticate(form.login.data, form.password.data, request.remote_addr or "")
        )
        if error is not None:
            add_error(form, error)
            status = 429 if isinstance(error, services.LoginThrottled) else 200
        else:
            chosen = session.get("locale")  # the language picked on the login page, if any
            session.clear()  # a fresh session on login: no fixation, no leftover organisation
            login_user(user, remember=form.remember.data)
            session.permanent = True
            if user.locale or chosen:
                session["locale"] = user.locale or chosen
            return redirect(safe_next(form.next.data, url_for("dashboard.index")))
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    if EmptyForm().validate_on_submit():
        # Cleared first: logout_user() then marks the remember-me cookie for deletion in the fresh
        # session; cleared after, the mark was lost and the cookie logged the user straight back in.
        if current_user.is_authenticated:
            # Ends this session for good: a copy of its cookie, or the remember-me cookie, replayed
            # later names nobody (and so do the user's sessions on other devices).
            services.end_sessions(current_user)
        session.clear()
        logout_user()
        flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.post("/language")
def set_language():
    """Switch language; remembered on the user's account, or in the session before login."""
    language = request.form.get("language", "")
    if EmptyForm().validate_on_submit() and language in current_app.config["LANGUAGES"]:
        session["locale"] = language
        if current_user.is_authenticated:
            current_user.locale = language
    return redirect(safe_next(request.form.get("next"), url_for("dashboard.index")))


@bp.post("/organisation")
@login_required
def switch_organisation():
    """Choose which organisation to work in (users of several, and officials)."""
    form = EmptyForm()
    org_id = request.form.get("organisation_id", "")
    if not form.validate_on_submit() or not org_id.isdigit() or role_in(current_user, int(org_id)) is None:
        abort(404)
    session["org_id"] = int(org_id)
    return redirect(safe_next(request.form.get("next"), url_for("dashboard.index")))


@bp.get("/organisations")
@login_required
def organisations():
    return render_template("accounts/organisations.html", options=accessible_organisations(current_user))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """A new password ends every session of the user, on every device; this one is opened again."""
    form = PasswordForm()
    user = current_user._get_current_object()
    if submit(form, lambda: services.change_password(user, **form_values(form))) is not None:
        remember = bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")))
        login_user(user, remember=remember)  # the new generation, here only
        flash(_("Password changed. You are logged out on every other device."), "success")
        return redirect(url_for("dashboard.index"))
    return render_template(
        "registry/form.html", form=form, title=_("Change password"), cancel_url=url_for("dashboard.index")
    )


@bp.post("/members/<int:user_id>/sign-out")
@login_required
@org_required(edit=Write.SETTINGS)
def sign_out_member(user_id: int):
    """A lost or shared phone: the administrator ends every session of one person."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    user, _error = attempt(lambda: services.sign_out_everywhere(g.org, user_id))
    if user is None:
        abort(404)
    if user.id == current_user.id:
        logout_user()
        return redirect(url_for("accounts.login"))
    flash(_("%(name)s is logged out on every device.", name=user.name), "success")
    return redirect(url_for(".members"))


@bp.route("/members", methods=["GET", "POST"])
@login_required
@org_required(edit=Write.SETTINGS)
def members():
    """The organisation's people and their roles; an administrator adds new ones here."""
    form = MemberForm()
    roles = [r for r in Role if (r is Role.OFFICIAL) == g.org.kind.is_authority or r is Role.ADMIN]
    form.role.choices = choices((r.value, ROLE_LABELS[r]) for r in roles)
    if not form.is_submitted():
        form.role.data = Role.MEMBER.value if Role.MEMBER in roles else Role.OFFICIAL.value
    added = submit(form, lambda: services.add_member(g.org, **form_values(form)))
    if added is not None:
        flash(_("%(name)s can now log in with %(login)s.", name=added.user.name, login=added.user.login), "success")
        return redirect(url_for(".members"))
    people = db.session.scalars(
        sa.select(Membership)
        .where(of_org(Membership, g.org.id))
        .join(Membership.user)
        .options(contains_eager(Membership.user))
        .order_by(User.name)
    ).all()
    return render_template("accounts/members.html", form=form, people=people)


@bp.route("/organisation/settings", methods=["GET", "POST"])
@login_required
@org_required(edit=Write.SETTINGS)
def organisation_settings():
    form = OrganisationForm(obj=g.org)
    if submit(form, lambda: services.update_organisation(g.org, **form_values(form))) is not None:
        flash(_("Saved."), "success")
        return redirect(url_for("dashboard.index"))
    return render_template(
        "registry/form.html", form=form, title=_("Organisation details"), cancel_url=url_for("dashboard.index")
    )


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
@org_required(edit=Write.TOKENS)
def tokens():
    """The user's API tokens in this organisation; a new one is shown once, right after creation."""
    form = TokenForm()
    new_token = None
    revoking = request.form.get("revoke", "")
    if request.method == "POST" and revoking.isdigit():
        if len(revoking) > 10 or not 0 < int(revoking) <= MAX_ID or not EmptyForm().validate_on_submit():
            abort(404)  # an id no row can have: PostgreSQL refuses past 2**31 - 1
        if revoke_token(current_user, g.org, int(revoking)) is None:
            abort(404)
        flash(_("Token revoked."), "success")
        return redirect(url_for(".tokens"))
    created = submit(form, lambda: create_token(current_user, g.org, form.name.data))
    if created is not None:
        new_token = created[1]
    rows = db.session.scalars(
        sa.select(ApiToken)
        .where(ApiToken.user_id == current_user.id, of_org(ApiToken, g.org.id), ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())
    ).all()
    return render_template("accounts/tokens.html", form=form, rows=rows, new_token=new_token)
