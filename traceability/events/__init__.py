"""The append-only event log every record is written to: field records now, lots later."""
