"""The pieces every API body is built of: texts, codes, ids, quantities and dates with their limits."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from traceability.accounts.tenancy import MAX_ID
from traceability.events.services import Capture
from traceability.lots.services import LOT_CODE
from traceability.registry import RECORD_CODE


class Schema(BaseModel):
    """Base of every body. Fields the API does not know are ignored, so a newer client still works."""

    model_config = ConfigDict(extra="ignore")


def _collapse(value: Any) -> Any:
    """Runs of whitespace become one space, as in the web forms; a blank text counts as not given."""
    if isinstance(value, str):
        return " ".join(value.split()) or None
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def blank_as(default: Any) -> BeforeValidator:
    """A blank text or null counts as not given: ``default`` then (the old API accepted both)."""
    return BeforeValidator(lambda v: default if v is None or (isinstance(v, str) and not v.strip()) else v)


def _printable(value: str) -> str:
    if _CONTROL.search(value):  # no database keeps a NUL in text; the others have no place in a record
        raise PydanticCustomError("text_control", "control character")
    return value


def text(max_length: int, pattern: str | None = None, *, optional: bool = False) -> Any:
    """A one-line text of at most ``max_length`` characters (the column's length)."""
    core = Annotated[str, StringConstraints(max_length=max_length, pattern=pattern), AfterValidator(_printable)]
    return Annotated[core | None if optional else core, BeforeValidator(_collapse)]


Name = text(120)
OptionalName = text(120, optional=True)
Note = text(2000, optional=True)
RecordCode = text(40, RECORD_CODE.pattern)  # plots and products: the registry's code rule
ProductCode = text(40)
# Safe as a GS1 batch/lot (AI 10) and in a URL path; written in capitals, as printed on the label, but
# a phone or a partner's system may send it in lower case, as the web forms and the lot URLs accept.
LotCode = Annotated[text(20, LOT_CODE.pattern), BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v)]

# Ids are 32-bit. Strict: a JSON integer, not "5", 5.0 or true.
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
OptionalId = Id | None
Count = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
Days = Annotated[int, Strict(), Field(ge=0, le=MAX_ID)]
Flag = Annotated[bool, Strict()]
# A JSON string written YYYY-MM-DD (no time, no timestamp).
Day = Annotated[dt.date, Strict()]
TODAY = "Today (Vietnam time) when left out."

_DECIMAL_TEXT = re.compile(r"^\d+(\.\d+)?$")


def _decimal_text(value: Any) -> Any:
    """A decimal may come as a JSON number or as plain digits in a string ("2500", "0.75")."""
    if isinstance(value, str) and not _DECIMAL_TEXT.match(value):
        raise PydanticCustomError("decimal_parsing", "not a decimal")
    return value


def decimal(places: int, whole_digits: int) -> Any:
    """A positive decimal that fits a ``Numeric(whole_digits + places, places)`` column."""
    below = 10**whole_digits

    def document(schema: dict) -> None:
        number, string = schema["anyOf"]
        number["multipleOf"] = float(Decimal(1).scaleb(-places))
        string["pattern"] = _DECIMAL_TEXT.pattern
        schema["description"] = f"More than 0, less than {below:,}, at most {places} decimal places."

    return Annotated[
        Decimal,
        BeforeValidator(_decimal_text),
        Field(gt=0, lt=below, decimal_places=places, allow_inf_nan=False, json_schema_extra=document),
    ]


Quantity = decimal(3, 11)  # lots, links and sales: Numeric(14, 3)
Area = decimal(2, 10)  # m²: Numeric(12, 2)
Measure = decimal(3, 9)  # doses and net contents: Numeric(12, 3)


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


# In answers, quantities are strings of plain digits, exact as stored ("2500", "0.75").
Amount = Annotated[
    Decimal,
    PlainSerializer(_plain, return_type=str),
    WithJsonSchema({"type": "string", "pattern": _DECIMAL_TEXT.pattern, "examples": ["2500", "0.75"]}),
]
Gtin = Annotated[str, StringConstraints(pattern=r"^\d{14}$")]  # GTIN-14, shorter ones zero-padded


def _plausible_year(value: dt.datetime) -> dt.datetime:
    if not 2000 <= value.year <= 2100:
        raise PydanticCustomError("datetime_range", "outside 2000-2100")
    return value


SavedAt = Annotated[AwareDatetime, AfterValidator(_plausible_year)]


class Captured(Schema):
    """A record that may have been made on a phone, offline: its identity and when it was saved there."""

    uuid: UUID | None = Field(
        None,
        description="Given by the phone when the record was first saved. The same record sent again "
        "is answered as the first time (nothing written); other content under the same UUID is 409.",
    )
    saved_at: SavedAt | None = Field(
        None,
        description="When it was saved on the phone (ISO 8601 with its offset): the time it was recorded in the "
        "field, from which lateness is judged. A time after its receipt or before the deed's own day is flagged.",
    )

    def capture(self) -> Capture:
        saved = self.saved_at.astimezone(dt.UTC).replace(tzinfo=None) if self.saved_at else None
        return Capture(str(self.uuid) if self.uuid else None, saved)

    def facts(self) -> dict:
        """The record's own fields, for its service."""
        return self.model_dump(exclude={"uuid", "saved_at"})


class Created(Schema):
    id: int
    code: str


class ErrorDetail(Schema):
    code: str = Field(description="Stable: bad_request, invalid, unauthorized, forbidden, not_found, …")
    message: str = Field(description="In the user's language (Vietnamese unless ?lang=en).")
    field: str | None = Field(description="The input to blame, e.g. quantity_kg or inputs[0].quantity.")
    stored: dict | None = Field(None, description="409 conflict: the answer stored for this uuid or key.")
    stored_request: dict | None = Field(None, description="409 conflict: the body it was stored from.")


class ErrorBody(Schema):
    error: ErrorDetail
