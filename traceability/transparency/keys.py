"""Each organisation's log signing key: Ed25519, kept outside the database.

The private key is a file ``<LOG_KEYS_DIR>/<organisation code>.key`` (32 bytes, base64, mode 0600,
made the first time it is needed: at ``init``, for a new organisation, or at its first checkpoint),
or the environment variable ``LOG_KEY_<CODE>`` (the code in capitals, hyphens as underscores) in a
deployment that keeps secrets there. A copy of the database alone can then sign nothing.

Rotation (``flask --app traceability audit rotate-key ORG``) keeps the old public key beside the new
one as ``<code>.<start of the public key>.pub``: checkpoints signed before stay checkable, and the page of the log's
keys lists every key the log ever used, the newest first.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

from traceability.transparency import tlog


def _folder() -> Path:
    return Path(current_app.config.get("LOG_KEYS_DIR") or Path(current_app.instance_path) / "log-keys")


def _variable(code: str) -> str:
    return "LOG_KEY_" + code.upper().replace("-", "_")


def _write_private(path: Path, key: Ed25519PrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    raw = key.private_bytes_raw()
    # Created with its mode, never widened after: no moment where another user could read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(raw).decode() + "\n")


def signing_key(code: str) -> Ed25519PrivateKey:
    """The organisation's current key; made and stored on first use."""
    if os.environ.get(_variable(code)):
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(os.environ[_variable(code)]))
    path = _folder() / f"{code}.key"
    if not path.exists():
        try:
            _write_private(path, Ed25519PrivateKey.generate())
        except FileExistsError:  # made by another process a moment ago: use that one
            pass
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(path.read_text().strip()))


def public_keys(code: str, name: str) -> list[str]:
    """Verifier keys of every key the log has used, the current one first."""
    current = tlog.vkey(name, tlog.public_bytes(signing_key(code)))
    retired = sorted(_folder().glob(f"{code}.*.pub"), key=lambda p: p.stat().st_mtime, reverse=True)
    old = [tlog.vkey(name, base64.b64decode(p.read_text().strip())) for p in retired]
    return [current, *old]


def rotate(code: str) -> Ed25519PublicKey:
    """A new key for the organisation; the old one's public half is kept, its private half removed."""
    if os.environ.get(_variable(code)):
        raise RuntimeError(f"The key is in {_variable(code)}: set a new value there instead.")
    path = _folder() / f"{code}.key"
    old = signing_key(code)
    public = tlog.public_bytes(old)
    kept = _folder() / f"{code}.{public.hex()[:16]}.pub"
    kept.write_text(base64.b64encode(public).decode() + "\n")
    path.unlink()
    return signing_key(code).public_key()
