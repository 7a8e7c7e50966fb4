"""Attach photos to records: checked by content and size, re-encoded, stripped of location."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from traceability import blobs
from traceability.accounts.models import Organisation, User
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.photos.imaging import MAX_UPLOAD_BYTES, PhotoRejected, process_photo
from traceability.photos.models import Photo

REJECTION_MESSAGES = {
    "empty": _l("The photo is empty."),
    "too_large": _l("The photo is larger than %(mb)d MB."),
    "not_an_image": _l("This file is not a photo."),
    "unsupported_type": _l("Send a JPEG, PNG or WebP photo."),
    # Same words as for too many bytes: both say the photo is too big, and it is one limit to the user.
    "too_many_pixels": _l("The photo is larger than %(mb)d MB."),
}


def attach_photo(
    org: Organisation,
    user: User,
    data: bytes,
    *,
    event_id: int | None,
    caption: str | None = None,
    field: str = "photo",
    uuid: str | None = None,
) -> Photo:
    try:
        processed = process_photo(data)
    except PhotoRejected as rejected:
        message = str(REJECTION_MESSAGES[rejected.reason]) % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
        raise DomainError(message, field) from None
    # In object storage first (when configured): a store that is down refuses the photo before any record.
    image_key = blobs.store(org.id, "photos", processed.image, ".jpg", field)
    thumbnail_key = blobs.store(org.id, "photos", processed.thumbnail, "-thumb.jpg", field)
    photo = Photo(
        organisation_id=org.id,
        event_id=event_id,
        uploaded_by_id=user.id,
        image=None if image_key else processed.image,
        thumbnail=None if thumbnail_key else processed.thumbnail,
        image_key=image_key,
        thumbnail_key=thumbnail_key,
        width=processed.width,
        height=processed.height,
        sha256=processed.sha256,
        caption=caption,
        uuid=uuid,
    )
    db.session.add(photo)
    db.session.flush()
    return photo


def read_upload(storage, field: str = "photo") -> bytes | None:
    """The bytes of an uploaded file, read no further than the size limit allows."""
    if storage is None or not getattr(storage, "filename", None):
        return None
    data = storage.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(_("The photo is larger than %(mb)d MB.", mb=MAX_UPLOAD_BYTES // (1024 * 1024)), field)
    return data
