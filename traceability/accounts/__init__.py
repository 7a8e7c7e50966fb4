"""Organisations (the tenants), users, memberships with roles, login and its throttling."""
