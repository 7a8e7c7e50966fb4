"""Where files live: photos, evidence files and print-run PDFs. In the database by default (nothing to run
beside it); in object storage through the S3 API when ``S3_BUCKET`` is set (MinIO, or any S3 service), so a
province's photos do not fill its database and its backups.

Each stored file is one row column (the bytes, for the database) or one key beside it (for object storage).
Keys name the organisation and the file's SHA-256: the same file stored twice is one object, and an upload
whose record is then rolled back leaves only an object nothing points to, never a record without its file.
An upload is written before its record, so storage that cannot be reached refuses the upload (a
``DomainError``, with the user's input kept) and writes nothing.
"""

from __future__ import annotations

import hashlib
import threading

from flask import current_app
from flask_babel import gettext as _

from traceability.errors import DomainError, FileStoreUnavailable

CLIENT = "s3_client"  # app.extensions key
_lock = threading.Lock()


def configured() -> bool:
    return bool(current_app.config.get("S3_BUCKET"))


def _client():
    client = current_app.extensions.get(CLIENT)
    if client is None:
        with _lock:
            client = current_app.extensions.get(CLIENT)
            if client is None:
                import boto3
                from botocore.config import Config

                client = boto3.client(
                    "s3",
                    endpoint_url=current_app.config.get("S3_ENDPOINT_URL") or None,
                    region_name=current_app.config.get("S3_REGION") or None,
                    # A store that does not answer refuses the upload in seconds, not after a minute.
                    config=Config(connect_timeout=3, read_timeout=15, retries={"max_attempts": 2}),
                )
                current_app.extensions[CLIENT] = client
    return client


def key_for(organisation_id: int, kind: str, data: bytes, suffix: str) -> str:
    return f"{organisation_id}/{kind}/{hashlib.sha256(data).hexdigest()}{suffix}"


def store(organisation_id: int, kind: str, data: bytes, suffix: str, field: str | None = None) -> str | None:
    """Put ``data`` in object storage and return its key, or None when files are kept in the database (the
    caller then keeps the bytes in its row). Refuses, with a message for the user, when storage is down."""
    if not configured():
        return None
    from botocore.exceptions import BotoCoreError, ClientError

    key = key_for(organisation_id, kind, data, suffix)
    try:
        _client().put_object(Bucket=current_app.config["S3_BUCKET"], Key=key, Body=data)
    except (BotoCoreError, ClientError) as error:
        current_app.logger.warning("object storage: upload refused: %s", error)
        raise DomainError(
            _("The file store cannot be reached, so nothing was saved. Try again in a few minutes."), field
        ) from None
    return key


def load(inline: bytes | None, key: str | None) -> bytes:
    """A stored file's bytes: from its row, or from object storage by its key."""
    if key is None:
        return inline or b""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = _client().get_object(Bucket=current_app.config["S3_BUCKET"], Key=key)
        return answer["Body"].read()
    except (BotoCoreError, ClientError) as error:
        current_app.logger.warning("object storage: %s unreadable: %s", key, error)
        raise FileStoreUnavailable(key) from error
