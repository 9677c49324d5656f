"""Whole numbers written with more digits than anything schedsim accepts.

Python refuses to convert a text of more than 4,300 digits to an integer (and back), a
guard against the quadratic cost of the conversion.  A workload or result file may still
hold one -- a typo, a pasted value, an attack -- and it must be reported like any other out
of range value, with its field, never surface as Python's own ``ValueError``.  The readers
therefore keep such a number as :class:`HugeInteger`, a value no check accepts as a number
and every message describes by its length.
"""

from __future__ import annotations

# Longer texts are never converted: no limit schedsim has needs more than 30 digits, and
# the conversion of a few thousand digits costs next to nothing below Python's own limit.
MAX_DIGITS = 4_000


class HugeInteger:
    """A whole number too long to convert (``111…1``, thousands of digits), kept as text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:  # how messages that quote a bad value with !r show it
        return self.describe()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HugeInteger) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def describe(self) -> str:
        digits = sum(character.isdigit() for character in self.text)
        return f"an integer of {digits:,} digits (far beyond any limit)"


def whole_number(text: str) -> int | HugeInteger:
    """``text`` (digits, perhaps signed) as an int, or as a HugeInteger if too long."""
    return int(text) if len(text) <= MAX_DIGITS else HugeInteger(text)


def digit_count(value: int) -> int:
    """How many decimal digits ``value`` has, without converting it to text (which fails
    past 4,300 digits); exact below that length, within one above."""
    magnitude = abs(value)
    if magnitude.bit_length() <= 14_000:
        return len(str(magnitude))
    return int(magnitude.bit_length() * 0.30102999566398120) + 1
