"""A column type for Python enums stored as their string values (no database enum types to migrate)."""

from __future__ import annotations

import enum

import sqlalchemy as sa


def enum_type(cls: type[enum.Enum]) -> sa.Enum:
    return sa.Enum(
        cls,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
