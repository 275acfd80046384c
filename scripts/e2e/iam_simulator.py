"""IAM's policy simulator for the emulator: the decision SimulatePrincipalPolicy returns for identity policies.

The rules, from the IAM User Guide ("Policy evaluation logic", "IAM JSON policy elements: Condition
operators") and the IAM API Reference (SimulatePrincipalPolicy, EvaluationResult):

- a request is denied by default (``implicitDeny``); a matching Allow allows it (``allowed``); a matching
  Deny in any policy overrides every Allow (``explicitDeny``). A permissions boundary, when the role has
  one, must allow the request too.
- a statement matches when its Action (or NotAction) and Resource (or NotResource) match, with ``*`` and
  ``?`` wildcards (actions case-insensitive, resources case-sensitive), and every condition holds.
- conditions: all operators of a block must hold, all keys of an operator, and any value of a key. "If the
  key that you specify in a policy condition is not present in the request context, the values do not match
  and the condition is false. If the policy condition requires that the key is not matched, such as
  StringNotLike or ArnNotLike, and the right key is not present, the condition is true." ``...IfExists``
  holds when the key is absent; ``Null`` tests presence. Condition key names are case-insensitive.
- the simulator returns one EvaluationResult per action, whatever the number of resources: its decision is
  the most restrictive over the resources; ``ResourceSpecificResults`` gives each resource's.

What the stack's policies do not use (policy variables, date and IP operators, resource policies that name
particular principals, SCPs) is refused with :class:`Unsupported` rather than guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "allowed", "explicitDeny", "implicitDeny"
# The most restrictive decision wins the aggregate (EvaluationResult, IAM API Reference).
_RESTRICTIVENESS = {ALLOWED: 0, IMPLICIT_DENY: 1, EXPLICIT_DENY: 2}


class Unsupported(ValueError):
    """A policy element this simulator does not evaluate (the extension answers an error, never a guess)."""


@dataclass(frozen=True)
class Policy:
    """One policy attached to the principal: its id (name or ARN), its type as the simulator names it
    (``role`` for inline, ``aws-managed`` or ``user-managed``) and its document."""

    id: str
    type: str
    document: Mapping[str, Any]


@dataclass
class Decision:
    """The decision on one action and resource, with the statements that determined it."""

    decision: str
    matched: list[dict[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _wildcard(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    if "${" in pattern:
        raise Unsupported(f"policy variables are not evaluated: {pattern!r}")
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    return bool(_wildcard(pattern, ignore_case=True).match(action))


def resource_matches(pattern: str, resource: str) -> bool:
    return bool(_wildcard(pattern, ignore_case=False).match(resource))


def _arn_like(pattern: str, arn: str) -> bool:
    """ArnLike/ArnEquals: each of the six colon-delimited components matched on its own, with wildcards."""
    wanted, given = pattern.split(":", 5), arn.split(":", 5)
    if len(wanted) != 6 or len(given) != 6:
        return False
    return all(resource_matches(w, g) for w, g in zip(wanted, given, strict=True))


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError as error:
        raise Unsupported(f"not a number: {value!r}") from error


_POSITIVE = {
    "StringEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: resource_matches(p, v),
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "Bool": lambda p, v: p.lower() == v.lower(),
    "NumericEquals": lambda p, v: _number(p) == _number(v),
    "NumericLessThan": lambda p, v: _number(v) < _number(p),
    "NumericLessThanEquals": lambda p, v: _number(v) <= _number(p),
    "NumericGreaterThan": lambda p, v: _number(v) > _number(p),
    "NumericGreaterThanEquals": lambda p, v: _number(v) >= _number(p),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


def _condition_holds(operator: str, key: str, wanted: Sequence[str], context: Mapping[str, Sequence[str]]) -> bool:
    values = context.get(key.lower())
    if operator == "Null":
        return all((values is None) == (str(w).lower() == "true") for w in wanted)
    if_exists = operator.endswith("IfExists")
    base = operator[: -len("IfExists")] if if_exists else operator
    set_operator, _, base = base.rpartition(":")
    if values is None:
        return if_exists or base in _NEGATED
    if base in _NEGATED:
        compare = _POSITIVE[_NEGATED[base]]
        matches = [any(compare(str(w), v) for w in wanted) for v in values]
        return not any(matches) if set_operator != "ForAllValues" else not all(matches)
    if base not in _POSITIVE:
        raise Unsupported(f"condition operator {operator!r} is not evaluated")
    compare = _POSITIVE[base]
    matches = [any(compare(str(w), v) for w in wanted) for v in values]
    return all(matches) if set_operator == "ForAllValues" else any(matches)


def _conditions(statement: Mapping[str, Any], context: Mapping[str, Sequence[str]], missing: set[str]) -> bool:
    holds = True
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, wanted in keys.items():
            if key.lower() not in context and operator != "Null" and not operator.endswith("IfExists"):
                missing.add(key)
            if not _condition_holds(operator, key, [str(w) for w in _listed(wanted)], context):
                holds = False
    return holds


def _statement_applies(
    statement: Mapping[str, Any], action: str, resource: str, *, resource_policy: bool = False
) -> bool:
    if resource_policy:
        if "NotPrincipal" in statement or statement.get("Principal") not in ("*", {"AWS": "*"}, {"AWS": ["*"]}):
            raise Unsupported(f"only statements for every principal are evaluated: {statement.get('Sid')}")
    elif "Principal" in statement or "NotPrincipal" in statement:
        raise Unsupported("resource policies (Principal) are not evaluated")
    if "Action" in statement:
        acts = any(action_matches(p, action) for p in _listed(statement["Action"]))
    else:
        acts = not any(action_matches(p, action) for p in _listed(statement.get("NotAction", [])))
    if "Resource" in statement:
        on = any(resource_matches(p, resource) for p in _listed(statement["Resource"]))
    elif "NotResource" in statement:
        on = not any(resource_matches(p, resource) for p in _listed(statement["NotResource"]))
    else:
        on = False
    return acts and on


def decide(
    policies: Sequence[Policy],
    action: str,
    resource: str,
    context: Mapping[str, Sequence[str]],
    *,
    resource_policy: bool = False,
) -> Decision:
    """The decision of ``policies`` on one action and resource (context keys lower-cased). ``resource_policy``:
    the policies are resource policies whose statements all name every principal (``"*"``), as the stack's
    bucket policies do; any other principal is refused, not guessed."""
    allows: list[dict[str, str]] = []
    denies: list[dict[str, str]] = []
    missing: set[str] = set()
    for policy in policies:
        for statement in _listed(policy.document.get("Statement", [])):
            if not _statement_applies(statement, action, resource, resource_policy=resource_policy):
                continue
            if not _conditions(statement, context, missing):
                continue
            matched = {"SourcePolicyId": policy.id, "SourcePolicyType": policy.type}
            (denies if statement.get("Effect") == "Deny" else allows).append(matched)
    if denies:
        # "the deny statement is the only entry included in the result" (EvaluationResult.MatchedStatements).
        return Decision(EXPLICIT_DENY, denies, sorted(missing))
    if allows:
        return Decision(ALLOWED, allows, sorted(missing))
    return Decision(IMPLICIT_DENY, [], sorted(missing))


def simulate(
    policies: Sequence[Policy],
    actions: Sequence[str],
    resources: Sequence[str],
    context: Mapping[str, Sequence[str]],
    *,
    boundary: Sequence[Policy] = (),
) -> list[dict[str, Any]]:
    """SimulatePrincipalPolicy's EvaluationResults: one per action, the most restrictive decision over
    ``resources`` (``*`` when none are given) on top, each resource's in ResourceSpecificResults."""
    lowered = {key.lower(): list(values) for key, values in context.items()}
    results: list[dict[str, Any]] = []
    for action in actions:
        per_resource = []
        for resource in resources or ["*"]:
            decision = decide(policies, action, resource, lowered)
            if boundary and decision.decision == ALLOWED:
                bounded = decide(boundary, action, resource, lowered)
                if bounded.decision != ALLOWED:
                    decision = Decision(bounded.decision, bounded.matched, decision.missing + bounded.missing)
            per_resource.append((resource, decision))
        worst = max(per_resource, key=lambda r: _RESTRICTIVENESS[r[1].decision])[1]
        result: dict[str, Any] = {
            "EvalActionName": action,
            "EvalDecision": worst.decision,
            "MatchedStatements": worst.matched,
            "MissingContextValues": sorted({m for _r, d in per_resource for m in d.missing}),
            "ResourceSpecificResults": [
                {
                    "EvalResourceName": resource,
                    "EvalResourceDecision": decision.decision,
                    "MatchedStatements": decision.matched,
                    "MissingContextValues": decision.missing,
                }
                for resource, decision in per_resource
            ],
        }
        if len(per_resource) == 1:
            result["EvalResourceName"] = per_resource[0][0]
        results.append(result)
    return results


def document(text: str | Mapping[str, Any]) -> Mapping[str, Any]:
    """A policy document from IAM's stored form (JSON text, possibly URL-encoded by some callers)."""
    if isinstance(text, Mapping):
        return text
    from urllib.parse import unquote

    stripped = text.strip()
    return json.loads(stripped if stripped.startswith("{") else unquote(stripped))  # type: ignore[no-any-return]
