"""Photos as evidence: checked, re-encoded, stripped of location, with thumbnails."""
