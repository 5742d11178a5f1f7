"""Hyper-parameter dataclasses that describe themselves, so the GUI form and CLI flags are built
from the same definition and the values are saved next to the weights.

Usage::

    @dataclass
    class SGNSConfig:
        dim: int = param(100, "Vector dimensions", low=2, high=1000)
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any

from models.errors import UserError


@dataclass(frozen=True)
class ParamInfo:
    name: str
    type: type
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None
    advanced: bool = False
    cli: bool = True
    when: tuple | None = None    # (other parameter, its values): used only then


def param(default, help: str, *, low=None, high=None, choices=None, advanced=False, cli=True, when=None):
    """A dataclass field with a description, a range and optional choices. ``when=(name, values)``:
    the parameter matters only while parameter ``name`` is one of ``values`` (a form hides it otherwise)."""
    meta = {"help": help, "low": low, "high": high, "choices": tuple(choices) if choices else None,
            "advanced": advanced, "cli": cli, "when": (when[0], tuple(when[1])) if when else None}
    return field(default=default, metadata=meta)


_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def describe(config_cls) -> list[ParamInfo]:
    """The parameters of a config dataclass, in definition order."""
    out = []
    for f in fields(config_cls):
        t = f.type if isinstance(f.type, type) else _TYPES.get(str(f.type).split("|")[0].strip(), str)
        m = f.metadata
        out.append(ParamInfo(f.name, t, f.default, m.get("help", f.name), m.get("low"), m.get("high"),
                             m.get("choices"), m.get("advanced", False), m.get("cli", True), m.get("when")))
    return out


class ConfigError(UserError, ValueError):
    """A hyper-parameter outside its range or choices."""


def validate(config) -> None:
    """Raise ConfigError naming the first parameter of the wrong type or outside its range or choices."""
    hint = "Change it in the form or on the command line."
    for p in describe(type(config)):
        v = getattr(config, p.name)
        if not _of_type(v, p.type):
            raise ConfigError(f"{p.name} must be {_TYPE_NAMES.get(p.type, p.type.__name__)}, not {v!r}.", hint)
        if p.choices and v not in p.choices:
            raise ConfigError(f"{p.name} must be one of {', '.join(map(str, p.choices))}, not {v!r}.", hint)
        if p.low is not None and v < p.low:
            raise ConfigError(f"{p.name} must be at least {p.low}, not {v}.", hint)
        if p.high is not None and v > p.high:
            raise ConfigError(f"{p.name} must be at most {p.high}, not {v}.", hint)


_TYPE_NAMES = {int: "a whole number", float: "a finite number", bool: "true or false", str: "text"}


def _of_type(v, t: type) -> bool:
    # JSON and forms give an int where a float is meant; a bool is an int to Python, never here.
    if t is bool or isinstance(v, bool):
        return t is bool and isinstance(v, bool)
    if t is float:
        return isinstance(v, (int, float)) and math.isfinite(v)
    return isinstance(v, t) if t in _TYPE_NAMES else True


def to_dict(config) -> dict:
    return dataclasses.asdict(config)


def from_dict(config_cls, data: dict):
    """Build a config from saved values, checked as a form's are (a damaged file's config would
    otherwise size a network or a buffer); unknown keys are ignored so older files still load."""
    known = {f.name for f in fields(config_cls)}
    config = config_cls(**{k: v for k, v in data.items() if k in known})
    validate(config)
    return config


def to_json(config) -> str:
    return json.dumps(to_dict(config), indent=2, sort_keys=True)
