"""A column type for Python enums stored as their string values (no database enum types to migrate)."""

from __future__ import annotations

import enum

import sqlalchemy as sa


def enum_type(cls: type[enum.Enum], length: int = 32) -> sa.Enum:
    """``length`` is the VARCHAR's: a column that was a plain string keeps its width, so no migration."""
    return sa.Enum(
        cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
