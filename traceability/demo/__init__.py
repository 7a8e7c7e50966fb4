"""Demo data: Quảng Thái commune, the Tây Hoàng bitter-melon cooperative and the commune's producers.

``flask --app traceability demo`` calls ``load``: the registry first (``registry.py``), then two
seasons of field history (``history.py``), each producer's processing and sales (``value_chains.py``), a
supplier's own EPCIS history of what one producer bought in (``suppliers.py``), then the cooperative's OCOP
dossier in progress (``ocop.py``).
"""

from __future__ import annotations

import socket

import sqlalchemy as sa

from traceability.accounts.models import Organisation
from traceability.demo import history, ocop, registry, suppliers, value_chains
from traceability.demo.registry import DEMO_LOGINS, DEMO_PASSWORD
from traceability.extensions import db

__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "load"]


def load() -> bool:
    """Create the demo records unless they exist. Returns True when something was created."""
    if db.session.scalar(sa.select(Organisation.id).where(Organisation.code == "tay-hoang")):
        return False
    orgs, users = registry.load_registry()
    coop, manager = orgs["tay-hoang"], users["0900000002"]
    history.load_history(coop, manager, orgs["nghe-lai-ha"], users["0900000011"])
    managers = {org: users[login] for login, role, org in DEMO_LOGINS if role == "manager"}
    value_chains.load_value_chains(orgs, managers)
    suppliers.load_supplier_history(orgs["dua-doan-ngo"])
    ocop.load_dossier(coop, manager)
    return True


def network_address() -> str | None:
    """This machine's address on its local network (the one a phone on the same Wi-Fi reaches), or
    None without one. A UDP socket "connected" to a documentation address sends nothing: the
    system only picks the interface it would use."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1 (RFC 5737): never routed anywhere real
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith(("127.", "0.")) else address
