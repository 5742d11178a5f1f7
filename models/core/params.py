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


def param(default, help: str, *, low=None, high=None, choices=None, advanced=False, cli=True):
    """A dataclass field with a description, a range and optional choices."""
    meta = {"help": help, "low": low, "high": high,
            "choices": tuple(choices) if choices else None, "advanced": advanced, "cli": cli}
    return field(default=default, metadata=meta)


_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def describe(config_cls) -> list[ParamInfo]:
    """The parameters of a config dataclass, in definition order."""
    out = []
    for f in fields(config_cls):
        t = f.type if isinstance(f.type, type) else _TYPES.get(str(f.type).split("|")[0].strip(), str)
        m = f.metadata
        out.append(ParamInfo(f.name, t, f.default, m.get("help", f.name), m.get("low"), m.get("high"),
                             m.get("choices"), m.get("advanced", False), m.get("cli", True)))
    return out


class ConfigError(UserError, ValueError):
    """A hyper-parameter outside its range or choices."""


def validate(config) -> None:
    """Raise ConfigError naming the first parameter outside its range or choices."""
    hint = "Change it in the form or on the command line."
    for p in describe(type(config)):
        v = getattr(config, p.name)
        if p.choices and v not in p.choices:
            raise ConfigError(f"{p.name} must be one of {', '.join(map(str, p.choices))}, not {v!r}.", hint)
        if p.low is not None and v < p.low:
            raise ConfigError(f"{p.name} must be at least {p.low}, not {v}.", hint)
        if p.high is not None and v > p.high:
            raise ConfigError(f"{p.name} must be at most {p.high}, not {v}.", hint)


def to_dict(config) -> dict:
    return dataclasses.asdict(config)


def from_dict(config_cls, data: dict):
    """Build a config from saved values; unknown keys are ignored so older files still load."""
    known = {f.name for f in fields(config_cls)}
    return config_cls(**{k: v for k, v in data.items() if k in known})


def to_json(config) -> str:
    return json.dumps(to_dict(config), indent=2, sort_keys=True)
