"""The managers' page of the EPCIS interface: where partners' systems connect, what suppliers' systems sent
(each capture and its errors, in words), and what the organisation shares without a token."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import RadioField

from traceability.accounts.policy import Write, may_write
from traceability.accounts.tenancy import of_org, org_required
from traceability.epcis.models import EpcisCapture, EpcisEvent, PublicEvents
from traceability.epcis.sharing import sharing_of
from traceability.extensions import db
from traceability.forms import Form, choices

bp = Blueprint("partners", __name__)
SHARING_LABELS = {
    PublicEvents.NONE: _l("Nothing: partners need a token from us"),
    PublicEvents.LOTS: _l("The history behind our lots' public pages (no buyers, no suppliers named)"),
}
RECENT = 20


class SharingForm(Form):
    public = RadioField(_l("What anyone may query without a token"), choices=choices(SHARING_LABELS.items()))


@bp.route("/partners", methods=["GET", "POST"])
@login_required
@org_required(edit=Write.TRADE, writes=Write.SETTINGS)
def partners():
    sharing = sharing_of(g.org.id)
    form = SharingForm(public=sharing.public.value)
    if form.validate_on_submit():
        sharing.public = PublicEvents(form.public.data)
        db.session.merge(sharing)
        flash(_("Saved."), "success")
        return redirect(url_for(".partners"))
    counts = dict(
        db.session.execute(
            sa.select(EpcisEvent.origin, sa.func.count())
            .where(of_org(EpcisEvent, g.org.id))
            .group_by(EpcisEvent.origin)
        ).all()
    )
    jobs = db.session.scalars(
        sa.select(EpcisCapture).where(of_org(EpcisCapture, g.org.id)).order_by(EpcisCapture.id.desc()).limit(RECENT)
    ).all()
    return render_template(
        "epcis/partners.html",
        form=form,
        may_share=may_write(g.role, Write.SETTINGS),
        shared=SHARING_LABELS[sharing.public],
        counts=counts,
        jobs=jobs,
        endpoint=url_for("epcis.top_level", _external=True).rstrip("/"),
    )
