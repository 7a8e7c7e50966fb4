"""JSON API v1: bearer tokens, the same services as the web forms, idempotent retries."""
