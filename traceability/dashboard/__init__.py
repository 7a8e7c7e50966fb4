"""The start page: what to do next, per role."""
