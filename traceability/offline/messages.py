"""The words the phone's scripts show, translated here and handed to them with each page (so a page
kept on the phone speaks the language it was saved in)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from traceability.farm.models import INPUT_KIND_LABELS, InputKind

MESSAGES = {
    "saved": _l("Saved on this phone — will send when online"),
    "sent": _l("Sent."),
    "waiting": _l("%(n)s not sent"),
    "sending": _l("Sending %(done)s/%(total)s"),
    "all_sent": _l("Everything is sent."),
    "to_look": _l("%(n)s records need a look: each one says why."),
    "nothing": _l("Nothing is waiting on this phone."),
    "offline": _l("No network now: the records stay on this phone and are sent when the signal returns."),
    "server_busy": _l("The server did not answer: the records stay on this phone; sending again later."),
    "login": _l("Log in again to send what is saved on this phone. Nothing is lost."),
    "state_saved": _l("Saved on this phone"),
    "state_sent": _l("Sent"),
    "state_attention": _l("To look at again"),
    "state_conflict": _l("Conflict"),
    "saved_at": _l("Saved on the phone %(time)s"),
    "sent_at": _l("received %(time)s"),
    "photos": _l("%(n)s photo(s)"),
    "edit": _l("Correct it"),
    "retry": _l("Send again"),
    "discard": _l("Delete from this phone"),
    "discard_confirm": _l("Delete this record from the phone? It was never received by the server."),
    "send_as_new": _l("Send mine as a new record"),
    "keep_stored": _l("Keep the received one (delete mine)"),
    "mine": _l("On this phone"),
    "stored": _l("Received by the server"),
    "conflict_help": _l("The server already has another record under this record's identity. Choose which to keep."),
    "open": _l("Open"),
    "editing": _l("Correcting a record saved on this phone."),
    "logout_unsent": _l(
        "%(n)s records are not sent yet. They stay on this phone and are sent when you log in again. Log out?"
    ),
    "required": _l("This field is required."),
    "number": _l("Enter a number, for example 1.250,5."),
    "correct_fields": _l("Please correct the marked fields."),
    "phi_wait": _l("%(plot)s: harvest allowed from %(date)s"),
    "pending": _l("not sent yet"),
    "kind_planting": _l("New season"),
    "kind_input": _l("Spray or fertiliser"),
    "kind_fertiliser": INPUT_KIND_LABELS[InputKind.FERTILISER],
    "kind_plant_protection": INPUT_KIND_LABELS[InputKind.PLANT_PROTECTION],
    "kind_other": INPUT_KIND_LABELS[InputKind.OTHER],
    "kind_harvest": _l("Harvest"),
    "trade_name": _l("Type the product's trade name."),
    "harvest_lot": _l("Harvest recorded as lot %(code)s."),
    "season_started": _l("Season started on plot %(code)s."),
    "harvest_from": _l("Harvest allowed from %(date)s."),
}
