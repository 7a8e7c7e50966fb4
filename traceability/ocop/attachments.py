"""Evidence files for a dossier: PDF, JPEG or PNG, judged by their content, at most 10 MB each.

The name a browser sends proves nothing: a PDF must open as a PDF (pypdf reads its pages), a picture
must decode fully (Pillow, strictly). Files are kept as sent, in the database, so the ZIP of the
dossier carries the very documents the producer attached.
"""

from __future__ import annotations

import hashlib
import io
import re

from flask_babel import gettext as _
from pypdf import PdfReader

from traceability import blobs
from traceability.accounts.models import User
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.ocop.models import OcopAttachment, OcopDossier
from traceability.ocop.services import check_editable
from traceability.photos.imaging import PhotoRejected, process_photo

MAX_BYTES = 10 * 1024 * 1024
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def read_upload(storage, field: str = "file") -> bytes:
    if storage is None or not getattr(storage, "filename", None):
        raise DomainError(_("Choose a file."), field)
    data = storage.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DomainError(_("The file is larger than %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024)), field)
    return data


def sniff(data: bytes) -> str | None:
    """The file's real type, or None when it is none of PDF, JPEG, PNG or does not open as one."""
    if data.startswith(b"%PDF-"):
        try:  # a damaged file makes pypdf raise almost anything: each means "not a PDF we can read"
            return "application/pdf" if len(PdfReader(io.BytesIO(data)).pages) > 0 else None
        except Exception:  # noqa: BLE001
            return None
    if data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        try:  # the photos' strict decoder: a truncated or hostile picture is refused
            process_photo(data, max_bytes=MAX_BYTES)
        except PhotoRejected:
            return None
        return "image/jpeg" if data.startswith(b"\xff\xd8") else "image/png"
    return None


def attach(
    dossier: OcopDossier, user: User, *, title: str, filename: str, data: bytes, criterion_id: str | None = None
) -> OcopAttachment:
    check_editable(dossier)
    mimetype = sniff(data)
    if mimetype is None:
        raise DomainError(_("Attach a PDF, JPEG or PNG file: this file is none of them, or it is damaged."), "file")
    key = blobs.store(dossier.organisation_id, "evidence", data, f".{EXTENSIONS[mimetype]}", "file")
    stem = re.sub(r"[^\w.-]+", "-", filename.rsplit(".", 1)[0], flags=re.UNICODE).strip("-.")[:80] or "tai-lieu"
    attachment = OcopAttachment(
        organisation_id=dossier.organisation_id,
        dossier_id=dossier.id,
        criterion_id=criterion_id or None,
        title=title.strip()[:255],
        filename=f"{stem}.{EXTENSIONS[mimetype]}",
        mimetype=mimetype,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=None if key else data,
        data_key=key,
        uploaded_by_id=user.id,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment
