"""Policy options declared as data.

A policy lists its options as :class:`Option` records (name, kind, default, help).  The CLI
builds its flags and ``schedsim policies`` from these records and the policy spec language
(``rr:quantum=2``) parses through them, so help text cannot drift from the code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schedsim.errors import OptionError

Time = int | float


def parse_time(text: str | int | float, *, allow_inf: bool = False) -> Time:
    """Parse a positive time: ``4`` -> 4 (an int keeps integer workloads exact), ``0.5``,
    ``inf`` (where allowed)."""
    if isinstance(text, bool):
        raise OptionError(f"expected a number, got {text!r}")
    if isinstance(text, int | float):
        value: Time = text
    elif not isinstance(text, str):
        raise OptionError(f"expected a number, got {text!r}")
    else:
        raw = text.strip()
        try:
            value = int(raw)
        except ValueError:
            try:
                value = float(raw)
            except ValueError:
                raise OptionError(f"expected a number, got {text!r}") from None
    if isinstance(value, float):
        if math.isnan(value):
            raise OptionError(f"expected a number, got {text!r}")
        if math.isinf(value):
            if value > 0 and allow_inf:
                return math.inf
            raise OptionError(f"must be finite, got {text!r}")
        if value.is_integer() and abs(value) < 2**53:
            value = int(value)
    if value <= 0:
        raise OptionError(f"must be > 0, got {text!r}")
    return value


def parse_nonnegative_time(text: str | int | float) -> Time:
    """Like :func:`parse_time` but 0 is allowed (context-switch cost, boost period 0 = off)."""
    if isinstance(text, str) and text.strip() in ("0", "0.0"):
        return 0
    if isinstance(text, int | float) and not isinstance(text, bool) and text == 0:
        return 0
    return parse_time(text)


def parse_time_list(
    text: str | int | float | list[Any] | tuple[Any, ...], *, allow_inf_last: bool = True
) -> tuple[Time, ...]:
    """``4`` or ``1,2,4`` or ``8,16,inf`` (inf only for the last, bottom-level entry); a list
    or tuple of numbers from Python works too."""
    items: list[Any]
    if isinstance(text, list | tuple):
        items = list(text)
    elif isinstance(text, str):
        items = text.split(",")
    else:
        items = [text]
    if not items or any(str(item).strip() == "" for item in items):
        raise OptionError(f"expected a number or a comma-separated list, got {text!r}")
    values = []
    for position, item in enumerate(items):
        last = position == len(items) - 1
        values.append(parse_time(item, allow_inf=allow_inf_last and last))
    return tuple(values)


def parse_positive_int(text: str | int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise OptionError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise OptionError(f"must be >= 1, got {text!r}")
    return value


def parse_int(text: str | int) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        raise OptionError(f"expected a whole number, got {text!r}") from None


def parse_flag(text: str | bool) -> bool:
    if isinstance(text, bool):
        return text
    lowered = str(text).strip().lower()
    if lowered in ("1", "true", "yes", "on", ""):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise OptionError(f"expected true or false, got {text!r}")


@dataclass(frozen=True)
class Option:
    """One declared policy option.

    ``parse`` turns the user's text (or an already-typed Python value) into the value the
    policy receives, raising :class:`OptionError` with a message that does not repeat the
    option name (the caller adds it).  ``flag`` options take no value on the command line.
    """

    name: str
    parse: Callable[[Any], Any]
    default: Any
    help: str
    metavar: str = "VALUE"
    flag: bool = False

    @property
    def cli_flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def time_option(name: str, default: Time | None, help: str, *, allow_inf: bool = False) -> Option:
    return Option(name, lambda text: parse_time(text, allow_inf=allow_inf), default, help, "TIME")
