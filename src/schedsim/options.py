"""Policy options declared as data.

A policy lists its options as :class:`Option` records (name, kind, default, help).  The CLI
builds its flags and ``schedsim policies`` from these records and the policy spec language
(``rr:quantum=2``) parses through them, so help text cannot drift from the code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schedsim.errors import OptionError

# The caps on counts an option may give, re-exported for the policies that declare options.
from schedsim.limits import MAX_CPUS as MAX_CPUS
from schedsim.limits import MAX_LEVELS as MAX_LEVELS
from schedsim.limits import MAX_TIME

Time = int | float


def shown(text: object) -> str:
    """``text`` quoted for an error message, cut short if long (a pasted megabyte of digits
    must not become a megabyte of error message)."""
    quoted = repr(text)
    return quoted if len(quoted) <= 60 else f"{quoted[:40]}... ({len(str(text)):,} characters)"


def parse_time(text: str | int | float, *, allow_inf: bool = False) -> Time:
    """Parse a positive time: ``4`` -> 4 (an int keeps integer workloads exact), ``0.5``,
    ``inf`` (where allowed)."""
    if isinstance(text, bool):
        raise OptionError(f"expected a number, got {shown(text)}")
    if isinstance(text, int | float):
        value: Time = text
    elif not isinstance(text, str):
        raise OptionError(f"expected a number, got {shown(text)}")
    else:
        raw = text.strip()
        try:
            value = int(raw)
        except ValueError:
            if raw.lstrip("+-").isdigit():  # too many digits to convert
                raise OptionError(f"must be <= {MAX_TIME:,}, got {shown(text)}") from None
            try:
                value = float(raw)
            except ValueError:
                raise OptionError(f"expected a number, got {shown(text)}") from None
    if isinstance(value, float):
        if math.isnan(value):
            raise OptionError(f"expected a number, got {shown(text)}")
        if math.isinf(value):
            if value > 0 and allow_inf:
                return math.inf
            raise OptionError(f"must be finite, got {shown(text)}")
        if value.is_integer() and abs(value) < 2**53:
            value = int(value)
    if value <= 0:
        raise OptionError(f"must be > 0, got {shown(text)}")
    if value > MAX_TIME:  # a longer slice or period is never reached; a huge int overflows
        raise OptionError(f"must be <= {MAX_TIME:,} (the longest time allowed), got {shown(text)}")
    return value


def parse_nonnegative_time(text: str | int | float) -> Time:
    """Like :func:`parse_time` but 0 is allowed (context-switch cost, boost period 0 = off),
    so a bad value is told the rule it breaks: ``>= 0``."""
    if isinstance(text, str) and text.strip() in ("0", "0.0"):
        return 0
    if isinstance(text, int | float) and not isinstance(text, bool) and text == 0:
        return 0
    try:
        return parse_time(text)
    except OptionError as error:
        if str(error).startswith("must be > 0"):
            raise OptionError(f"must be >= 0, got {shown(text)}") from None
        raise


def parse_time_list(
    text: str | int | float | list[Any] | tuple[Any, ...], *, allow_inf_last: bool = True
) -> tuple[Time, ...]:
    """``4``, or a list written ``1,2,4``, ``1/2/4`` or ``[1,2,4]`` (``inf`` only last, for
    the bottom level); a list or tuple of numbers from Python works too.

    Both separators are accepted everywhere a list is, because where a comma already
    separates values (``sweep --vary quantum=1/2/4,2/4/8``) the slash is the only way to
    write a list, and users should not have to remember which command wants which."""
    items: list[Any]
    if isinstance(text, list | tuple):
        items = list(text)
    elif isinstance(text, str):
        inside = text.strip()
        if inside.startswith("[") and inside.endswith("]"):
            inside = inside[1:-1]
        items = re.split(r"[,/]", inside)
    else:
        items = [text]
    if not items or any(str(item).strip() == "" for item in items):
        raise OptionError(f"expected a number or a list such as 1,2,4 or 1/2/4, got {shown(text)}")
    values = []
    for position, item in enumerate(items):
        last = position == len(items) - 1
        values.append(parse_time(item, allow_inf=allow_inf_last and last))
    return tuple(values)


def parse_positive_int(text: str | int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise OptionError(f"expected a whole number, got {shown(text)}") from None
    if value < 1:
        raise OptionError(f"must be >= 1, got {shown(text)}")
    return value


def parse_count(text: str | int, maximum: int) -> int:
    """A whole number in 1..``maximum`` (CPUs, queue levels)."""
    value = parse_positive_int(text)
    if value > maximum:
        raise OptionError(f"must be at most {maximum:,}, got {shown(text)}")
    return value


_SIZE_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_size(text: str | int) -> int | None:
    """A file size in bytes: ``1000000``, ``64M``, ``2G`` (K, M, G, T are powers of 1024, an
    optional trailing ``B`` or ``iB`` is ignored), or ``none`` for no limit (None)."""
    raw = str(text).strip().lower()
    if raw in ("none", "unlimited"):
        return None
    number = raw.removesuffix("ib").removesuffix("b")
    unit = number[-1:] if number[-1:] in _SIZE_UNITS else ""
    digits = number[: len(number) - len(unit)].strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 30:
        raise OptionError(
            f"expected a size such as 1000000, 64M or 2G (or none), got {shown(text)}"
        )
    value = int(digits) * _SIZE_UNITS[unit]
    if value < 1:
        raise OptionError(f"must be >= 1 byte, got {shown(text)}")
    return value


def parse_limit(text: str | int) -> int | None:
    """A count limit: a whole number >= 1, or ``none`` for no limit (None)."""
    if str(text).strip().lower() in ("none", "unlimited"):
        return None
    return parse_positive_int(text)


def parse_int(text: str | int) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        raise OptionError(f"expected a whole number, got {shown(text)}") from None


def parse_flag(text: str | bool) -> bool:
    if isinstance(text, bool):
        return text
    lowered = str(text).strip().lower()
    if lowered in ("1", "true", "yes", "on", ""):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise OptionError(f"expected on or off (or true/false, yes/no, 1/0), got {shown(text)}")


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
