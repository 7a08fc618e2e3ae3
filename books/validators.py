"""The catalogue's text rules, as Django validators (forms, models) and as annotated types for
the API's pydantic schemas, so that the page, the admin and the API refuse the same input and
the OpenAPI schema states each rule as a pattern."""

import re
from typing import Annotated

from django.core.exceptions import ValidationError
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

# Control characters (Unicode's Cc: C0, DEL, C1) except tab, line feed and carriage return,
# which a description may hold. No one types them; a NUL ends a string in C code downstream
# (the seed's consumers, terminals, log viewers) and would be stored in trends as is.
CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
PLAIN_TEXT_PATTERN = f"^[^{CONTROL_CHARACTERS}]*$"
PLAIN_TEXT_MESSAGE = "Control characters (such as NUL) are not allowed."
_CONTROL_CHARACTER = re.compile(f"[{CONTROL_CHARACTERS}]")

# 13 ASCII digits, a hyphen or a space allowed between two of them (IsbnField drops them).
# Empty means no ISBN, as in the admin.
_ISBN13_TEXT = r"(?:[0-9][- ]?){12}[0-9]"
ISBN13_PATTERN = f"^(?:{_ISBN13_TEXT})?$"
ISBN13_FORMAT_MESSAGE = "Enter an ISBN-13: 13 digits, hyphens allowed (e.g. 978-0-14-143951-8)."
_ISBN13 = re.compile(_ISBN13_TEXT)


def validate_plain_text(value: str) -> None:
    if _CONTROL_CHARACTER.search(value):
        raise ValidationError(PLAIN_TEXT_MESSAGE, code="control_characters")


def isbn13_check_digit(first_twelve: str) -> str:
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(first_twelve))
    return str((10 - total % 10) % 10)


def validate_isbn13(value: str) -> None:
    # isdigit() alone would take other scripts' digits, which int() reads too.
    if len(value) != 13 or not (value.isascii() and value.isdigit()):
        raise ValidationError(ISBN13_FORMAT_MESSAGE, code="isbn_format")
    if isbn13_check_digit(value[:12]) != value[12]:
        raise ValidationError(
            "This ISBN-13's check digit is wrong; please check the number for a typo.",
            code="isbn_checksum",
        )


def _plain_text(value: str) -> str:
    # A PydanticCustomError's message is shown as is (a ValueError's gets "Value error, ").
    if _CONTROL_CHARACTER.search(value):
        raise PydanticCustomError("control_characters", PLAIN_TEXT_MESSAGE)
    return value


def _isbn13_text(value: str) -> str:
    # The check digit and uniqueness are the model's to check.
    if value and not _ISBN13.fullmatch(value):
        raise PydanticCustomError("isbn_format", ISBN13_FORMAT_MESSAGE)
    return value


# For the API's schemas: the rules above, and the pattern that tells clients (and schemathesis).
PlainText = Annotated[
    str, AfterValidator(_plain_text), Field(json_schema_extra={"pattern": PLAIN_TEXT_PATTERN})
]
Isbn13Text = Annotated[
    str,
    AfterValidator(_isbn13_text),
    Field(json_schema_extra={"pattern": ISBN13_PATTERN}),
]
