"""Judge a `terraform show -json` plan against the checked-in baseline explanations (baseline.toml).

A change is explained when a baseline entry matches its address (fnmatch pattern) and actions, and every
attribute it changes is one the entry names. Replace or delete of a protected type (clusters, the global
cluster, instances, the secret) is never explained: the harness fails on it whatever the baseline says.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NO_CHANGE = (["no-op"], ["read"])


@dataclass(frozen=True)
class Explanation:
    """One baseline entry: which changes it covers and the emulator behaviour that causes them."""

    address: str
    actions: tuple[str, ...]
    attributes: tuple[str, ...]
    emulator_behaviour: str

    def covers(self, address: str, actions: list[str], attributes: set[str]) -> bool:
        return (
            fnmatch.fnmatchcase(address, self.address)
            and tuple(actions) == self.actions
            and attributes <= set(self.attributes)
        )


@dataclass
class PlanVerdict:
    """The changes of one plan, split into explained, unexplained and forbidden."""

    explained: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.unexplained and not self.forbidden

    def summary(self) -> str:
        return (
            f"{len(self.explained)} change(s) explained by the baseline, {len(self.unexplained)} unexplained, "
            f"{len(self.forbidden)} forbidden replace/destroy"
        )

    def details(self) -> list[str]:
        return (
            [f"FORBIDDEN {line}" for line in self.forbidden]
            + [f"UNEXPLAINED {line}" for line in self.unexplained]
            + [f"baseline {line}" for line in self.explained]
        )


def load_baseline(path: Path) -> list[Explanation]:
    """Read baseline.toml; every entry needs address, actions, attributes and emulator_behaviour."""
    data = tomllib.loads(path.read_text())
    entries = []
    for number, raw in enumerate(data.get("change", []), start=1):
        missing = [k for k in ("address", "actions", "attributes", "emulator_behaviour") if not raw.get(k)]
        if missing:
            raise ValueError(f"{path.name} entry {number} lacks {missing}")
        entries.append(
            Explanation(
                address=raw["address"],
                actions=tuple(raw["actions"]),
                attributes=tuple(raw["attributes"]),
                emulator_behaviour=raw["emulator_behaviour"],
            )
        )
    return entries


def changed_attributes(change: dict[str, Any]) -> set[str]:
    """Top-level attributes whose planned value differs from the current one (or becomes unknown)."""
    before = change.get("before") or {}
    after = change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    keys = set(before) | set(after)
    changed = {k for k in keys if before.get(k) != after.get(k)}
    changed |= {k for k, v in unknown.items() if v and (v is True or _has_true(v))}
    return changed


def _has_true(value: Any) -> bool:
    if value is True:
        return True
    if isinstance(value, dict):
        return any(_has_true(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_true(v) for v in value)
    return False


def judge_plan(plan: dict[str, Any], baseline: list[Explanation], *, protected: tuple[str, ...]) -> PlanVerdict:
    """Split the plan's resource changes into explained, unexplained and forbidden."""
    verdict = PlanVerdict()
    for resource in plan.get("resource_changes", []):
        change = resource.get("change", {})
        actions = list(change.get("actions", []))
        if actions in NO_CHANGE:
            continue
        address = resource["address"]
        attributes = changed_attributes(change)
        replace_paths = sorted({str(p[0]) for p in change.get("replace_paths", []) if p})
        line = f"{address} {'/'.join(actions)} {sorted(attributes)}" + (
            f" (replace because of {replace_paths})" if replace_paths else ""
        )
        if resource.get("type") in protected and "delete" in actions:
            verdict.forbidden.append(line)
        elif any(e.covers(address, actions, attributes) for e in baseline):
            verdict.explained.append(line)
        else:
            verdict.unexplained.append(line)
    return verdict
