"""How numbers are shown to people: one rule for tables, charts and explanations.

Kept apart from :mod:`schedsim.report` (rich tables) so that policies can phrase their
explanations without importing a table library."""

from __future__ import annotations

from typing import Any

from schedsim.digits import digit_count


def fmt(value: Any) -> str:
    """Integers as integers, other numbers with up to 3 decimals (trailing zeros dropped)."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float) and value != value:  # NaN: a time that never came
        return "-"
    if isinstance(value, int):
        if value.bit_length() > 10_000:  # Python refuses to write out 4,300+ digits
            return f"(a whole number of {digit_count(value):,} digits)"
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = f"{value:.3f}".rstrip("0").rstrip(".")
        return text if text not in ("-0", "") else "0"
    return str(value)
