"""Quoting what a user wrote, in error messages: short, on one line, never a huge repr.

Every loader, option parser and result reader phrases a bad value with these, so that one
``Error:`` line names the value the same way wherever it came from.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence

from schedsim.digits import HugeInteger, digit_count


def is_text(value: str) -> bool:
    """Whether ``value`` can be written out as UTF-8: no lone surrogate (JSON's
    ``"\\ud800"``, which no output file or terminal can hold)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def plain(text: str, limit: int = 40) -> str:
    """``text`` for an error message: unprintable characters (line breaks, controls) escaped
    so a message stays on its line, and cut to ``limit`` characters."""
    if not text.isprintable():
        text = repr(text)[1:-1]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(value: object) -> str:
    """A short, safe rendering of a bad value (never a huge or recursive repr)."""
    if isinstance(value, bool):
        word = "true" if value else "false"
        return (
            f"boolean {word} (YAML reads yes/no/on/off/true/false as booleans; "
            "write a number, or quote text)"
        )
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, HugeInteger):
        return value.describe()
    if isinstance(value, int):
        if abs(value) < 10**30:
            return str(value)
        return f"an integer of {digit_count(value):,} digits"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        keys = ", ".join(plain(str(key), 20) for key in list(value)[:6])
        return f"a mapping (keys: {keys})" if value else "an empty mapping"
    return f"{type(value).__name__} {str(value)[:40]!r}"


def closest(word: str, choices: Sequence[str]) -> str | None:
    """The allowed name a typo most likely meant (``brust`` -> ``burst``), if any."""
    matches = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_key_message(key: object, allowed: Sequence[str], kind: str = "key") -> str:
    """``unknown key 'brust' (did you mean 'burst'?); allowed keys: pid, ...``."""
    text = f"unknown {kind} {plain(str(key), 60)!r}"
    suggestion = closest(str(key), allowed) if isinstance(key, str) else None
    if suggestion:
        text += f" (did you mean {suggestion!r}?)"
    return f"{text}; allowed {kind}s: {', '.join(allowed)}"
