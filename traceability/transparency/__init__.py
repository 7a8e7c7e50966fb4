"""Each organisation's events in a Merkle-tree log anyone can check: proofs, signed checkpoints, witnesses."""
