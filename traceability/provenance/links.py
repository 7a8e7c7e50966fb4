"""The links a resolver offers for each level of an identifier, and the linkset that lists them.

Each level (unit, lot, product) has exactly one default link: its public page, served at its own
URI. The other link types are the records' own facts: product information (the product's page),
the lot's history and recall status (JSON, served at the lot's URI with ``?linkType=``), and
certificates where one is valid. A level also answers for the link types of the levels above it,
so a unit's linkset lists its lot's and its product's links (GS1 Conformant Resolver, walk-up).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import current_app, g
from flask_babel import gettext as _

from traceability.clock import local_today
from traceability.epcis.canonical import canonical_identifier
from traceability.epcis.sharing import shares_lots
from traceability.provenance.identifiers import Found, uri
from traceability.quality.certificates import valid_ocop

VOCABULARY = "https://gs1.org/voc/"
LINKSET_TYPE = "application/linkset+json"
LINKSET_WORDS = frozenset({"linkset", "all", "gs1:linkset"})  # "all": the older name for the same answer
LEVELS = ("unit", "lot", "product")
# Served by the resolver itself at the level's URI (JSON built from the records), not redirected.
SERVED = ("traceability", "recallStatus", "certificationInfo")
# JSON-LD context of a linkset: GS1's file, served from here (see ``views.linkset_context``).
CONTEXT_PATH = "/resolver/linkset-context.jsonld"


@dataclass(frozen=True)
class Link:
    rel: str  # a GS1 link type without its namespace: "defaultLink", "pip", …
    href: str
    title: str
    type: str = "text/html"
    hreflang: tuple[str, ...] = ("vi", "en")

    def as_json(self) -> dict:
        return {"href": self.href, "title": self.title, "hreflang": list(self.hreflang), "type": self.type}


def link_type(value: str | None) -> str | None:
    """``gs1:pip`` or ``https://gs1.org/voc/pip`` → ``pip``; None when no type is asked for."""
    if not value:
        return None
    for prefix in ("gs1:", VOCABULARY, VOCABULARY.replace("https", "http", 1)):
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def _served(anchor: str, rel: str) -> str:
    return f"{anchor}?linkType=gs1:{rel}"


def level_links(found: Found, level: str) -> list[Link]:
    """The links of one level of ``found`` (not those of the levels above it)."""
    anchor = uri(found, level)
    name = found.product.name(_lang()) if found.product else (found.lot.label if found.lot else "")
    if level == "unit":
        return [
            Link("defaultLink", anchor, _("%(product)s: this pack, %(serial)s", product=name, serial=found.unit.serial))
        ]
    if level == "lot":
        lot = found.lot
        links = [
            Link("defaultLink", anchor, _("%(product)s, lot %(lot)s: where it comes from", product=name, lot=lot.code)),
            Link(
                "traceability",
                _served(anchor, "traceability"),
                _("History of lot %(lot)s", lot=lot.code),
                "application/json",
            ),
            Link(
                "recallStatus",
                _served(anchor, "recallStatus"),
                _("Recall status of lot %(lot)s", lot=lot.code),
                "application/json",
            ),
        ]
        if shares_lots(found.organisation.id):  # its EPCIS events, where the producer chose to share them
            events = canonical_identifier(anchor) or anchor
            links.append(
                Link(
                    "epcis",
                    f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/epcis/events?MATCH_anyEPCClass={quote(events, safe='')}",
                    _("EPCIS events of lot %(lot)s", lot=lot.code),
                    "application/json",
                )
            )
        if valid_certificates(lot) or (found.product and valid_ocop(found.organisation.id, found.product.id)):
            links.append(
                Link(
                    "certificationInfo",
                    _served(anchor, "certificationInfo"),
                    _("Certificates of lot %(lot)s", lot=lot.code),
                    "application/json",
                )
            )
        return links
    if found.product is None:
        return []  # a harvest of a crop: no product page above the lot
    links = [
        Link("defaultLink", anchor, _("%(product)s: product and producer", product=name)),
        Link("pip", anchor, _("%(product)s: product information", product=name)),
    ]
    if valid_ocop(found.organisation.id, found.product.id):
        links.append(
            Link(
                "certificationInfo",
                _served(anchor, "certificationInfo"),
                _("OCOP certificate of %(product)s", product=name),
                "application/json",
            )
        )
    return links


def _lang() -> str:
    return g.get("lang", "vi")


def valid_certificates(lot) -> list:
    """The lot's certificates (VietGAP and others) valid today: the only ones offered as links."""
    today = local_today()
    return [c for c in lot.certificates if c.valid_from <= today <= c.valid_to]


def levels(found: Found) -> list[str]:
    """The levels present in ``found``, most specific first."""
    present = [lv for lv, on in (("unit", found.unit), ("lot", found.lot), ("product", found.product)) if on]
    return present


def select(found: Found, rel: str) -> tuple[str, Link] | None:
    """(level, link) answering ``rel`` for the most specific level of ``found``, walking up."""
    for level in levels(found):
        for link in level_links(found, level):
            if link.rel == rel:
                return level, link
    return None


def item_description(found: Found, level: str) -> str:
    name = found.product.name(_lang()) if found.product else found.lot.label
    if level == "unit":
        return _(
            "%(product)s, lot %(lot)s, pack %(serial)s", product=name, lot=found.lot.code, serial=found.unit.serial
        )
    if level == "lot":
        return _("%(product)s, lot %(lot)s", product=name, lot=found.lot.code)
    return _("%(product)s by %(producer)s", product=name, producer=found.organisation.name)


def linkset(found: Found, *, static: bool = False) -> dict:
    """RFC 9264 linkset of every level of ``found``, most specific first (GS1's linkset schema).
    ``static``: only the links a static host can answer (the pages), for the static export."""
    entries = []
    for level in levels(found):
        entry: dict = {"anchor": uri(found, level), "itemDescription": item_description(found, level)}
        for link in level_links(found, level):
            if static and link.rel in (*SERVED, "epcis"):  # answered by the server, which a mirror outlives
                continue
            entry.setdefault(VOCABULARY + link.rel, []).append(link.as_json())
        entries.append(entry)
    return {"linkset": entries}


def description() -> dict:
    """``/.well-known/gs1resolver``: what a client may ask this resolver."""
    return {
        "name": current_app.config.get("RESOLVER_NAME") or _("Traceability records of the producers on this server"),
        "resolverRoot": current_app.config["PUBLIC_BASE_URL"].rstrip("/"),
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [{"namespace": VOCABULARY, "prefix": "gs1:"}],
        "linkTypes": [VOCABULARY + rel for rel in ("defaultLink", "pip", *SERVED, "epcis")],
        "linkTypeDefaultCanBeLinkset": True,
        "linkTypeDefaultCanBeAll": True,
        "supportedContextValuesEnumerated": [],
    }
