"""Merkle trees, signed checkpoints and cosignatures: what anyone can check about an organisation's log.

The mathematics only, with no database and no app: RFC 9162 §2.1 (tree hashes, inclusion and
consistency proofs, and their verification) and the C2SP signed-note, tlog-checkpoint and
tlog-cosignature formats with Ed25519. The server builds its proofs with these functions, and an
auditor checks a proof bundle with the same file run on its own, needing only Python and
``cryptography``::

    python traceability/events/tlog.py BUNDLE.json --log-key VKEY [--witness-key VKEY ...]

A proof takes its hashes from ``subtree(start, end)``, the hash of the leaves ``start`` to ``end``
(excluded): the server reads them from the stored nodes, a test from a list of leaves.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

Subtree = Callable[[int, int], bytes]
ED25519, COSIGNATURE = 0x01, 0x04  # signature types of a log key and of a witness key (C2SP)
EM_DASH = "\u2014"


# RFC 9162 §2.1.1: the hash of a leaf and of an interior node, with distinct prefixes.
def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1): where RFC 9162 cuts a tree in two."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) of leaf hashes, by the definition (the reference the stored tree is tested against)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))


def perfect_parts(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect subtrees ``(level, index)`` whose hashes make up the range, left to right, for a
    range a proof asks for (its start a multiple of the largest power of two within it)."""
    parts = []
    while start < end:
        n = end - start
        size = 1 << (n.bit_length() - 1)  # the largest power of two within it
        parts.append((size.bit_length() - 1, start // size))
        start += size
    return parts


def combine(hashes: list[bytes]) -> bytes:
    """The hash of a range from its perfect parts: the right-most pair first (RFC 9162's split)."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_proof(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1: the sibling hashes from the leaf up to the root."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    proof, start, end = [], 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            proof.append(subtree(start + k, end))
            end = start + k
        else:
            proof.append(subtree(start, start + k))
            start += k
    return proof[::-1]


def consistency_proof(old: int, size: int, subtree: Subtree) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1: that the tree of ``old`` leaves is a prefix of ``size``."""
    if not 0 < old <= size:
        raise ValueError(f"no consistency proof from {old} to {size}")
    proof, start, end, complete = [], 0, size, True
    while True:
        n = end - start
        m = old - start
        if m == n:
            if not complete:
                proof.append(subtree(start, end))
            return proof[::-1]
        k = split(n)
        if m <= k:
            proof.append(subtree(start + k, end))
            end = start + k
        else:
            proof.append(subtree(start, start + k))
            start, complete = start + k, False


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root the proof leads to from ``leaf``, or None when it cannot be one."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> bool:
    return root_from_inclusion(index, size, leaf, proof) == root


def verify_consistency(old: int, size: int, old_root: bytes, root: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2."""
    if old == size:
        return not proof and old_root == root
    if not 0 < old < size or not proof:
        return False
    if old & (old - 1) == 0:  # a power of two: the old root is the proof's first node
        proof = [old_root, *proof]
    fn, sn = old - 1, size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == root and sn == 0


# C2SP signed-note: keys, signatures and verifier keys.
def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()[:4]


def public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes_raw()


def vkey(name: str, public_key: bytes, signature_type: int = ED25519) -> str:
    """The verifier key a log or witness publishes: ``<name>+<hex key id>+<base64(type ‖ key)>``."""
    encoded = base64.b64encode(bytes([signature_type]) + public_key).decode()
    return f"{name}+{key_id(name, signature_type, public_key).hex()}+{encoded}"


@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: bytes
    signature_type: int
    public_key: Ed25519PublicKey


def parse_vkey(text: str) -> Verifier:
    name, hex_id, encoded = text.strip().split("+", 2)  # base64 may hold "+" too
    raw = base64.b64decode(encoded, validate=True)
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE) or key_id(name, raw[0], raw[1:]).hex() != hex_id:
        raise ValueError("not an Ed25519 verifier key, or its key id does not match")
    return Verifier(name, bytes.fromhex(hex_id), raw[0], Ed25519PublicKey.from_public_bytes(raw[1:]))


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    """C2SP tlog-checkpoint: origin, tree size, base64 root hash, one per line."""
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    body: str
    signatures: list[tuple[str, bytes]]  # (key name, base64-decoded key id ‖ signature)


def parse_note(note: str) -> Checkpoint:
    body, separator, lines = note.rpartition("\n\n")
    if not separator or not lines.endswith("\n"):
        raise ValueError("not a signed note: no blank line before the signatures")
    body += "\n"
    signatures = []
    for line in lines[:-1].split("\n"):
        dash, name, encoded = line.split(" ")
        if dash != EM_DASH:
            raise ValueError("a signature line starts with an em dash")
        signatures.append((name, base64.b64decode(encoded, validate=True)))
    origin, size, root, *_extensions = body[:-1].split("\n")
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise ValueError("the checkpoint's second line is not a tree size")
    return Checkpoint(origin, int(size), base64.b64decode(root, validate=True), body, signatures)


def sign_note(body: str, name: str, key: Ed25519PrivateKey) -> str:
    """A note signed by a log key: ``body``, a blank line, ``— name base64(key id ‖ signature)``."""
    signature = key_id(name, ED25519, public_bytes(key)) + key.sign(body.encode())
    return f"{body}\n{EM_DASH} {name} {base64.b64encode(signature).decode()}\n"


def cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosignature_line(body: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """A witness's cosignature of a checkpoint (C2SP tlog-cosignature, Ed25519): one signature line."""
    signed = key.sign(cosigned_message(body, timestamp))
    raw = key_id(name, COSIGNATURE, public_bytes(key)) + struct.pack(">Q", timestamp) + signed
    return f"{EM_DASH} {name} {base64.b64encode(raw).decode()}\n"


def signed_by(checkpoint: Checkpoint, verifier: Verifier) -> int | None:
    """Whether the note carries a valid signature of ``verifier``: for a log key, 0; for a witness,
    the time it cosigned. None when no signature line of that key verifies."""
    for name, raw in checkpoint.signatures:
        if name != verifier.name or raw[:4] != verifier.key_id:
            continue
        try:
            if verifier.signature_type == ED25519 and len(raw) == 68:
                verifier.public_key.verify(raw[4:], checkpoint.body.encode())
                return 0
            if verifier.signature_type == COSIGNATURE and len(raw) == 76:
                (timestamp,) = struct.unpack(">Q", raw[4:12])
                verifier.public_key.verify(raw[12:], cosigned_message(checkpoint.body, timestamp))
                return timestamp
        except InvalidSignature:
            return None  # a known key whose signature fails rejects the note (C2SP signed-note)
    return None


def split_view(first: str, second: str, log_key: str) -> bool:
    """Whether two checkpoints, both signed by the log (as two witnesses were shown them), prove it
    showed two histories: the same log and size, another root. Either alone looks sound."""
    log = parse_vkey(log_key)
    a, b = parse_note(first), parse_note(second)
    signed = signed_by(a, log) is not None and signed_by(b, log) is not None
    return signed and a.origin == b.origin == log.name and a.size == b.size and a.root != b.root


def check_bundle(bundle: dict, log_key: str, witness_keys: list[str]) -> list[str]:
    """What a proof bundle (``audit proof``) shows, one line per fact; a line starting "FAIL" is a
    failure. Needs nothing from the server: the keys are given by whoever checks."""
    said = []
    if "checkpoint" not in bundle and isinstance(bundle.get("log"), dict):
        bundle = bundle["log"]  # a lot page's JSON (live, or index.json of a static mirror)
    checkpoint = parse_note(bundle["checkpoint"])
    log = parse_vkey(log_key)
    if checkpoint.origin != log.name or signed_by(checkpoint, log) is None:
        return [f"FAIL the checkpoint is not signed by {log.name}"]
    said.append(f"OK checkpoint of {checkpoint.origin}: {checkpoint.size} events, signed by the log")
    for witness in map(parse_vkey, witness_keys):
        at = signed_by(checkpoint, witness)
        said.append(f"OK cosigned by {witness.name} at {at}" if at else f"FAIL not cosigned by {witness.name}")
    for event in bundle["events"]:
        leaf = leaf_hash(bytes.fromhex(event["hash"]))
        proof = [base64.b64decode(bundle["nodes"][p]) for p in event["proof"]]
        ok = verify_inclusion(event["leaf_index"], checkpoint.size, leaf, proof, checkpoint.root)
        content = event.get("content")
        if ok and content is not None:  # the event's own hash from its content and the one before it
            recomputed = hashlib.sha256((event["prev_hash"] + "\n" + content).encode()).hexdigest()
            ok = recomputed == event["hash"]
        said.append(f"{'OK' if ok else 'FAIL'} event {event['leaf_index'] + 1} is in the log as recorded")
    return said


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Check a traceability proof bundle against public keys.")
    parser.add_argument("bundle", help="the JSON file `flask audit proof` wrote, or a lot page's JSON")
    parser.add_argument("--log-key", required=True, help="the producer's log verifier key")
    parser.add_argument("--witness-key", action="append", default=[], help="a witness's verifier key")
    args = parser.parse_args(argv)
    with open(args.bundle, encoding="utf-8") as f:
        said = check_bundle(json.load(f), args.log_key, args.witness_key)
    print("\n".join(said))
    return 1 if any(line.startswith("FAIL") for line in said) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
