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


# What a text may hold, said once for the document (a pattern) and the check (the same pattern):
# no control characters (C0, DEL, C1) but tab, newline and carriage return, which are whitespace
# like the others listed, and are collapsed. The lists are explicit because "whitespace" differs
# between Python and the ECMA regexes a client validates with.
FORBIDDEN = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
SPACE = r"\t\n\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TEXT = f"^[^{FORBIDDEN}]*$"
FILLED_TEXT = f"^[^{FORBIDDEN}]*[^{FORBIDDEN}{SPACE}][^{FORBIDDEN}]*$"  # at least one visible character
BLANK = f"^[{SPACE}]*$"
_BLANK = re.compile(BLANK)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and _BLANK.match(value) is not None)


def blank_as(default: Any) -> BeforeValidator:
    """A blank text or null counts as not given: ``default`` then (the old API accepted both)."""
    return BeforeValidator(lambda v: default if is_blank(v) else v)


def _collapse(value: str) -> str:
    """Runs of whitespace become one space, as in the web forms (after the limits are checked on the
    text as sent, so the document's limits are the ones applied)."""
    return " ".join(value.split())


def text(max_length: int, pattern: str | None = None, *, optional: bool = False) -> Any:
    """A one-line text of at most ``max_length`` characters (the column's length), or with a
    ``pattern`` a code, taken as written. An optional text left blank counts as not given."""
    if pattern is not None:
        core = Annotated[str, StringConstraints(max_length=max_length, pattern=pattern)]
        return core | None if optional else core
    core = Annotated[
        str,
        StringConstraints(max_length=max_length, pattern=TEXT if optional else FILLED_TEXT),
        AfterValidator(_collapse),
    ]
    if not optional:
        return core
    # Blank within the limit counts as not given; a longer one is refused by the limit, as documented.
    return Annotated[core | None, BeforeValidator(lambda v: None if is_blank(v) and len(v or "") <= max_length else v)]


Name = text(120)
OptionalName = text(120, optional=True)
Note = text(2000, optional=True)
RecordCode = text(40, RECORD_CODE.pattern)  # plots and products: the registry's code rule
ProductCode = text(40)
# Safe as a GS1 batch/lot (AI 10) and in a URL path; written in capitals, as printed on the label, but
# a phone or a partner's system may send it in lower case, as the web forms and the lot URLs accept.
# Checked as sent (the ASCII letters of either case), then put in capitals: upper-casing first would let
# "ß" through as "SS".
LOT_CODE_AS_SENT = LOT_CODE.pattern.replace("A-Z", "A-Za-z")
LotCode = Annotated[str, StringConstraints(max_length=20, pattern=LOT_CODE_AS_SENT), AfterValidator(str.upper)]

# A JSON integer, not "5" or true; 5.0 is the integer 5 to JSON Schema, so it is to the API too.
# Written last, so it runs first and the limits before it are still published.
WHOLE = BeforeValidator(lambda v: int(v) if isinstance(v, float) and v.is_integer() else v)
# Ids are 32-bit.
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID), WHOLE]
OptionalId = Id | None
Count = Annotated[int, Strict(), Field(ge=1, le=MAX_ID), WHOLE]
Days = Annotated[int, Strict(), Field(ge=0, le=365), WHOLE]  # a pre-harvest interval: the rule of the records
Flag = Annotated[bool, Strict()]
# A JSON string written YYYY-MM-DD (no time, no timestamp).
Day = Annotated[dt.date, Strict()]
TODAY = "Today (Vietnam time) when left out."


def decimal_text(places: int, whole_digits: int) -> str:
    """Plain digits in a string ("2500", "0.75") for a decimal more than 0 and less than
    10 ** ``whole_digits``, with at most ``places`` decimal places that are not trailing zeros.
    The document publishes it and the check applies it, so the two cannot disagree."""
    whole = rf"0*[1-9]\d{{0,{whole_digits - 1}}}(?:\.\d{{1,{places}}}0*)?"
    fraction = "|".join(rf"0{{{k}}}[1-9]\d{{0,{places - 1 - k}}}" for k in range(places))
    return rf"^(?:{whole}|0+\.(?:{fraction})0*)$"


def decimal(places: int, whole_digits: int) -> Any:
    """A positive decimal that fits a ``Numeric(whole_digits + places, places)`` column."""
    below = 10**whole_digits
    as_text = re.compile(decimal_text(places, whole_digits))

    def digits(value: Any) -> Any:
        """A decimal may come as a JSON number or as plain digits in a string."""
        if isinstance(value, str) and not as_text.match(value):
            raise PydanticCustomError("decimal_parsing", "not a decimal")
        return value

    def document(schema: dict) -> None:
        number, string = schema["anyOf"]
        for key in ("gt", "lt", "decimal_places"):  # pydantic leaves them unnamed beside a validator
            schema.pop(key, None)
        number.update(exclusiveMinimum=0, exclusiveMaximum=below, multipleOf=float(Decimal(1).scaleb(-places)))
        string["pattern"] = as_text.pattern
        schema["description"] = f"More than 0, less than {below:,}, at most {places} decimal places."

    return Annotated[
        Decimal,
        BeforeValidator(digits),
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
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?$", "examples": ["2500", "0.75"]}),
]
Gtin = Annotated[str, StringConstraints(pattern=r"^\d{14}$")]  # GTIN-14, shorter ones zero-padded


def _plausible_year(value: dt.datetime) -> dt.datetime:
    if not 2000 <= value.year <= 2100:
        raise PydanticCustomError("datetime_range", "outside 2000-2100")
    return value


# The years are published as a pattern, format date-time having no range of its own.
SavedAt = Annotated[
    AwareDatetime,
    Strict(),  # an ISO 8601 text, not a number of seconds
    AfterValidator(_plausible_year),
    Field(json_schema_extra={"pattern": r"^(?:20\d\d|2100)-"}),
]


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
