"""The log's Merkle mathematics against RFC 9162's own definitions, and against pymerkle.

For every tree of 1 to 64 leaves and a few random larger ones: the root, every inclusion proof and
every consistency proof built the way the server builds them (from perfect subtrees only) equal the
recursive definitions of §2.1, verify by §2.1.3.2 and §2.1.4.2, and fail once a hash or an index is
changed, or a hash left out. pymerkle, written apart from this project with the same leaf and node prefixes,
must compute the same roots and the same inclusion paths.
"""

from __future__ import annotations

import hashlib
import random

import pytest
from pymerkle import InmemoryTree

from traceability.transparency import tlog

SIZES = [*range(1, 65), 100, 255, 256, 257, 1000, 1023]


def _leaves(n: int) -> list[bytes]:
    return [tlog.leaf_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(n)]


def _path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]), recursively, as §2.1.3.1 writes it."""
    n = len(leaves)
    if n == 1:
        return []
    k = tlog.split(n)
    if m < k:
        return _path(m, leaves[:k]) + [tlog.root_of(leaves[k:])]
    return _path(m - k, leaves[k:]) + [tlog.root_of(leaves[:k])]


def _subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of §2.1.4.1."""
    n = len(leaves)
    if m == n:
        return [] if complete else [tlog.root_of(leaves)]
    k = tlog.split(n)
    if m <= k:
        return _subproof(m, leaves[:k], complete) + [tlog.root_of(leaves[k:])]
    return _subproof(m - k, leaves[k:], False) + [tlog.root_of(leaves[:k])]


def _from_perfect_parts(leaves: list[bytes]):
    """``subtree(start, end)`` the way the server answers it: only from hashes of perfect subtrees."""
    perfect = {}
    level, row = 0, leaves
    while row:
        perfect.update({(level, i): h for i, h in enumerate(row)})
        row = [tlog.node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        level += 1
    return lambda start, end: tlog.combine([perfect[key] for key in tlog.perfect_parts(start, end)])


def _flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


@pytest.mark.parametrize("n", SIZES)
def test_roots_and_inclusion_proofs(n):
    leaves = _leaves(n)
    subtree = _from_perfect_parts(leaves)
    root = tlog.root_of(leaves)
    assert subtree(0, n) == root
    indices = range(n) if n <= 64 else random.Random(n).sample(range(n), 40)
    for m in indices:
        proof = tlog.inclusion_proof(m, n, subtree)
        assert proof == _path(m, leaves)
        assert len(proof) <= (n - 1).bit_length()
        assert tlog.verify_inclusion(m, n, leaves[m], proof, root)
        assert not tlog.verify_inclusion(m, n, _flip(leaves[m]), proof, root)
        if m + 1 < n:
            assert not tlog.verify_inclusion(m + 1, n, leaves[m], proof, root)
        if proof:
            assert not tlog.verify_inclusion(m, n, leaves[m], [_flip(proof[0]), *proof[1:]], root)
            assert not tlog.verify_inclusion(m, n, leaves[m], proof[:-1], root)


@pytest.mark.parametrize("n", SIZES)
def test_consistency_proofs(n):
    leaves = _leaves(n)
    subtree = _from_perfect_parts(leaves)
    root = tlog.root_of(leaves)
    olds = range(1, n + 1) if n <= 64 else random.Random(-n).sample(range(1, n + 1), 40)
    for m in olds:
        old_root = tlog.root_of(leaves[:m])
        proof = tlog.consistency_proof(m, n, subtree)
        assert proof == _subproof(m, leaves, True)
        assert tlog.verify_consistency(m, n, old_root, root, proof)
        assert not tlog.verify_consistency(m, n, _flip(old_root), root, proof)
        assert not tlog.verify_consistency(m, n, old_root, _flip(root), proof)
        if proof:
            assert not tlog.verify_consistency(m, n, old_root, root, [_flip(proof[-1]), *proof[:-1]][::-1])
        if m < n:
            # A rewritten past: the same sizes, one old leaf changed, cannot be shown consistent.
            other = [*leaves[: m - 1], _flip(leaves[m - 1]), *leaves[m:]]
            forged = tlog.consistency_proof(m, n, _from_perfect_parts(other))
            assert not tlog.verify_consistency(m, n, old_root, tlog.root_of(other), forged)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 64, 100, 257])
def test_pymerkle_computes_the_same_roots_and_paths(n):
    tree = InmemoryTree(algorithm="sha256")
    entries = [hashlib.sha256(str(i).encode()).digest() for i in range(n)]
    for entry in entries:
        tree.append_entry(entry)
    leaves = [tlog.leaf_hash(e) for e in entries]
    subtree = _from_perfect_parts(leaves)
    for size in range(1, n + 1):
        assert tree.get_root(size) == tlog.root_of(leaves[:size]) == subtree(0, size)
    for m in range(0, n, max(1, n // 10)):
        theirs = tree.prove_inclusion(m + 1, n).serialize()["path"]  # 1-based; the path opens with the leaf
        assert [bytes.fromhex(h) for h in theirs[1:]] == tlog.inclusion_proof(m, n, subtree)
