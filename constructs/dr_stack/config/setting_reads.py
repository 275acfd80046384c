"""Which settings a function of the settings reads, recorded while it runs rather than listed by hand.

A cross-setting rule runs only on settings that passed their own rules, and a budget term names the settings that
change it: both are the settings the function actually reads, through properties and methods as well
(``replication_lag_threshold_seconds`` reads ``replication_lag_alarm_seconds`` and ``rpo_minutes``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")
S = TypeVar("S")


class SettingsReads:
    """A stand-in for a settings dataclass that records each field read, in the order first read.

    Properties and methods of the settings class run with the stand-in as ``self``, so the fields they read
    are recorded too; anything else (class constants) is returned as it is.
    """

    def __init__(self, settings: Any) -> None:
        # Another stand-in may be wrapped (a rule that computes a budget): both then record each read.
        kind = object.__getattribute__(settings, "_kind") if isinstance(settings, SettingsReads) else type(settings)
        object.__setattr__(self, "_settings", settings)
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_fields", frozenset(f.name for f in dataclasses.fields(kind)))
        object.__setattr__(self, "read", {})

    def __getattr__(self, name: str) -> Any:
        settings = object.__getattribute__(self, "_settings")
        if name in object.__getattribute__(self, "_fields"):
            object.__getattribute__(self, "read")[name] = None
            return getattr(settings, name)
        attribute = getattr(object.__getattribute__(self, "_kind"), name)
        if isinstance(attribute, property) and attribute.fget is not None:
            return attribute.fget(self)
        if callable(attribute) and not isinstance(attribute, type):
            return attribute.__get__(self)
        return attribute

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"settings are read-only, cannot assign {name}")

    @property
    def names(self) -> tuple[str, ...]:
        """The fields read so far, in the order first read."""
        return tuple(object.__getattribute__(self, "read"))


def recorded(function: Callable[[S], T], settings: S) -> tuple[T, tuple[str, ...]]:
    """``function(settings)`` and the settings it read (raises what the function raises)."""
    reads = SettingsReads(settings)
    return function(cast(S, reads)), reads.names
