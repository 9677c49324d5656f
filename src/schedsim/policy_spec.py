"""The policy spec language: several policies, each with its options, in one string.

::

    fcfs,sjf,rr:quantum=2,rr:quantum=8,mlfq:levels=3:quantum=1,2,4:boost=100

Rules:

* specs are separated by commas;
* a spec is a policy name, then its options, each introduced by ``:`` —
  ``name:key=value:key=value``; a flag option may be written alone (``mlfq:io_resets``);
* a list value (MLFQ's quantum per level) is written with ``/`` (``quantum=1/2/4``), with
  ``,`` (``quantum=1,2,4``) or in brackets (``quantum=[1,2,4]``), as everywhere a list is
  taken: a comma followed by a number (or ``inf``) continues the list, anything else after a
  comma starts the next spec;
* names and keys are case-insensitive, ``-`` and ``_`` are the same in keys, and spaces
  around items are ignored.

So ``rr:quantum=2,rr:quantum=8,mlfq`` is three specs and ``mlfq:quantum=1,2,4,fcfs`` is two.
Each spec is checked against the policy registry and the policy's declared options, then the
policy itself validates the values; every problem found is reported at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schedsim.errors import OptionError
from schedsim.policies import REGISTRY, Policy

_CONTINUES_LIST = re.compile(r"^\s*[+-]?(\d|\.\d|inf\b)", re.IGNORECASE)


@dataclass(frozen=True)
class PolicySpec:
    """One parsed spec: the policy name, its options as the raw text the user wrote (keys
    normalised to option names), the spec's own text and its position (1-based)."""

    name: str
    options: dict[str, str] = field(default_factory=dict)
    text: str = ""
    position: int = 1

    @property
    def where(self) -> str:
        return f"policy spec #{self.position} {self.text!r}"


@dataclass(frozen=True)
class LabelledPolicy:
    """A constructed policy and the unique label tables and charts show for it."""

    label: str
    policy: Policy
    spec: PolicySpec


def split_specs(text: str) -> list[str]:
    """Cut ``text`` into spec strings (commas that continue a list value stay inside)."""
    pieces = text.split(",")
    specs: list[str] = []
    for piece in pieces:
        continues_value = bool(specs) and "=" in specs[-1].rsplit(":", 1)[-1]
        if continues_value and _CONTINUES_LIST.match(piece):
            specs[-1] += "," + piece.strip()
        else:
            specs.append(piece.strip())
    return specs


def parse_policy_specs(text: str) -> list[PolicySpec]:
    """Parse a spec string; raise :class:`OptionError` listing every problem found."""
    if not text.strip():
        raise OptionError("no policy given; write for example 'fcfs,sjf,rr:quantum=4'")
    specs: list[PolicySpec] = []
    problems: list[str] = []
    for position, spec_text in enumerate(split_specs(text), start=1):
        try:
            specs.append(_parse_one(spec_text, position, text))
        except OptionError as error:
            problems.append(str(error))
    if problems:
        raise OptionError("\n       ".join(problems))
    return specs


def build_policies(
    specs: list[PolicySpec] | str, defaults: Mapping[str, Any] | None = None
) -> list[LabelledPolicy]:
    """Construct each spec's policy, with unique labels (``rr(quantum=2)``, a repeated label
    gets `` #2``, `` #3`` ...).

    ``defaults`` (option name -> value, e.g. from ``--quantum 4``) fill in options a spec does
    not set, for the policies that take them; a default no given policy takes is an error."""
    if isinstance(specs, str):
        specs = parse_policy_specs(specs)
    given_defaults = {
        key.replace("-", "_"): value
        for key, value in (defaults or {}).items()
        if value is not None and value is not False
    }
    problems: list[str] = []
    for key in given_defaults:
        if not any(_takes(spec.name, key) for spec in specs):
            names = ", ".join(dict.fromkeys(spec.name for spec in specs))
            problems.append(
                f"--{key.replace('_', '-')}: none of the policies given ({names}) takes this "
                "option; drop it or add a policy that does"
            )
    built: list[LabelledPolicy] = []
    seen: dict[str, int] = {}
    for spec in specs:
        options = {
            key: value
            for key, value in given_defaults.items()
            if _takes(spec.name, key) and key not in spec.options
        }
        options.update(spec.options)
        try:
            policy = REGISTRY[spec.name](**options)
        except OptionError as error:
            problems.append(f"{spec.where}: {error}")
            continue
        label = policy.describe()
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label} #{seen[label]}"
        built.append(LabelledPolicy(label, policy, spec))
    if problems:
        raise OptionError("\n       ".join(problems))
    return built


def _parse_one(spec_text: str, position: int, whole: str) -> PolicySpec:
    if not spec_text:
        raise OptionError(
            f"policy spec #{position} in {whole!r} is empty; separate policies with one comma"
        )
    name, *parts = (part.strip() for part in spec_text.split(":"))
    where = f"policy spec #{position} {spec_text!r}"
    name = name.lower()
    if name not in REGISTRY:
        close = difflib.get_close_matches(name, list(REGISTRY), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise OptionError(
            f"{where}: unknown policy {name!r}; {hint}choose one of: {', '.join(REGISTRY)}"
        )
    declared = {option.name: option for option in REGISTRY[name].options}
    takes = ", ".join(declared) or "no options"
    options: dict[str, str] = {}
    for part in parts:
        key, equals, value = (piece.strip() for piece in part.partition("="))
        key = key.lower().replace("-", "_")
        if not key:
            raise OptionError(f"{where}: option {part!r} has no name; write key=value")
        if key not in declared:
            raise OptionError(f"{where}: policy {name!r} has no option {key!r} (it takes: {takes})")
        if key in options:
            raise OptionError(f"{where}: option {key!r} is given twice")
        if not equals:
            if not declared[key].flag:
                raise OptionError(f"{where}: option {key!r} needs a value: {key}=VALUE")
            value = "true"
        elif not value:
            raise OptionError(f"{where}: option {key!r} has an empty value")
        options[key] = value
    return PolicySpec(name, options, spec_text, position)


def _takes(policy_name: str, option_name: str) -> bool:
    return any(option.name == option_name for option in REGISTRY[policy_name].options)
