"""What each Lambda role is granted (from the synthesized JSON) and which AWS calls its code makes (from the source).

Calls are read from ``lambda_src/`` with ``ast``: ``<client>.<operation>(...)`` where ``<client>`` is a client made
for a service (``clients.target("rds")``, ``boto3.client("cloudwatch")``, a name assigned from one, or a parameter
named after the service: ``rds``, ``peer_rds``, ``self._dynamodb``), and operation names passed as strings to
``getattr`` (the promotion call). Only the functions reachable from the Lambda's handler count: the switch keeper
imports ``dr_failover.records.switch`` but never calls its writer. Operation names are botocore's (the service model the
runtime's boto3 sends), and each maps to the IAM action of the same name (Service Authorization Reference: "you
usually allow or deny access to the API operation ... with the same name").
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session
from botocore import xform_name

LAMBDA_SOURCE = Path(__file__).resolve().parents[2] / "lambda_src"

# boto3 client name -> IAM service prefix (Service Authorization Reference) where they differ.
IAM_PREFIX = {"elbv2": "elasticloadbalancing"}
# Services the code may make clients for; a call on any other client is reported as unresolved.
SERVICES = (
    "autoscaling",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "elbv2",
    "iam",
    "kms",
    "rds",
    "route53",
    "s3",
    "sns",
    "sts",
)
# STS API Reference, GetCallerIdentity: "No permissions are required to perform this operation."
NO_PERMISSION = {"sts:GetCallerIdentity"}
# Methods of RunClients / factories that take the service name as their first argument.
CLIENT_FACTORIES = {"target", "peer", "get", "client"}


def _operations() -> dict[str, dict[str, str]]:
    """service -> {python method name: API operation name}, from botocore's service models."""
    session = botocore.session.get_session()
    return {
        service: {xform_name(name): name for name in session.get_service_model(service).operation_names}
        for service in SERVICES
    }


OPERATIONS = _operations()


def iam_action(service: str, method: str) -> str:
    """The IAM action a boto3 call authorizes as."""
    return f"{IAM_PREFIX.get(service, service)}:{OPERATIONS[service][method]}"


@dataclass
class _Module:
    name: str
    tree: ast.Module
    # local name -> fully qualified name (module.attr or module) for imports
    imports: dict[str, str] = field(default_factory=dict)
    # top-level function and class definitions
    definitions: dict[str, ast.AST] = field(default_factory=dict)


def _load_modules() -> dict[str, _Module]:
    modules: dict[str, _Module] = {}
    for path in sorted(LAMBDA_SOURCE.rglob("*.py")):
        parts = list(path.relative_to(LAMBDA_SOURCE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        module = _Module(name, ast.parse(path.read_text(), filename=str(path)))
        for node in module.tree.body:
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    module.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    module.imports[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                module.definitions[node.name] = node
        modules[name] = module
    return modules


@dataclass(frozen=True)
class Call:
    """One AWS call in the source: where, on which service, which method."""

    where: str
    service: str | None
    method: str

    @property
    def action(self) -> str:
        assert self.service is not None
        return iam_action(self.service, self.method)


def _service_name(identifier: str) -> str | None:
    name = identifier.lstrip("_")
    if name in SERVICES:
        return name
    tail = name.rsplit("_", 1)[-1]
    return tail if tail in SERVICES else None


def _service_of(node: ast.AST, assigned: dict[str, list[ast.AST]], depth: int = 0) -> str | None:
    """The service of the client an expression evaluates to (None: not known)."""
    if depth > 5:
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLIENT_FACTORIES:
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Constant) and first.value in SERVICES:
            return str(first.value)
        return None
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            found = _service_of(value, assigned, depth + 1)
            if found:
                return found
        return None
    if isinstance(node, ast.IfExp):
        return _service_of(node.body, assigned, depth + 1) or _service_of(node.orelse, assigned, depth + 1)
    if isinstance(node, ast.Name):
        for assigned_value in assigned.get(node.id, []):
            found = _service_of(assigned_value, assigned, depth + 1)
            if found:
                return found
        return _service_name(node.id)
    if isinstance(node, ast.Attribute):
        return _service_name(node.attr)
    return None


def _calls_in(function: ast.AST, where: str) -> Iterator[Call]:
    """AWS calls made directly in one function body (nested functions included)."""
    assigned: dict[str, list[ast.AST]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
    all_methods = {method for operations in OPERATIONS.values() for method in operations}
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in all_methods:
            service = _service_of(node.func.value, assigned)
            yield Call(f"{where}:{node.lineno}", service, node.func.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) == 2
        ):
            # getattr(<client>, method): the method names are the string constants the module returns for it.
            service = _service_of(node.args[0], assigned)
            if service:
                yield Call(f"{where}:{node.lineno}", service, "<dynamic>")


def _dynamic_methods(module: _Module, service: str) -> set[str]:
    """Operation names of ``service`` written as string constants in a module (arguments of getattr)."""
    return {
        node.value
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in OPERATIONS[service]
    }


class _Reach:
    """Functions reachable from a handler: names referenced (called or passed) followed through imports."""

    def __init__(self, modules: dict[str, _Module]) -> None:
        self.modules = modules
        self.seen: set[str] = set()
        self.functions: list[tuple[_Module, str, ast.AST]] = []

    def visit(self, qualified: str) -> None:
        if qualified in self.seen:
            return
        self.seen.add(qualified)
        if qualified in self.modules:
            module = self.modules[qualified]
            # Module-level statements run at import (cold start).
            statements = [n for n in module.tree.body if not isinstance(n, ast.FunctionDef | ast.ClassDef)]
            body = ast.Module(body=statements, type_ignores=[])
            self._enter(module, "<module>", body)
            return
        module_name, _, attr = qualified.rpartition(".")
        owner = self.modules.get(module_name)
        if owner is None:
            return
        self.visit(module_name)
        definition = owner.definitions.get(attr)
        if definition is not None:
            self._enter(owner, attr, definition)
        elif attr in owner.imports:
            self.visit(owner.imports[attr])

    def _enter(self, module: _Module, name: str, node: ast.AST) -> None:
        self.functions.append((module, name, node))
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                self._resolve(module, child.id)
            elif isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name):
                target = module.imports.get(child.value.id)
                if target in self.modules:
                    self.visit(f"{target}.{child.attr}")

    def _resolve(self, module: _Module, name: str) -> None:
        if name in module.definitions:
            self.visit(f"{module.name}.{name}")
        elif name in module.imports:
            self.visit(module.imports[name])


def calls_of(handler: str) -> list[Call]:
    """Every AWS call the code reachable from ``handler`` (``module.function``) can make."""
    modules = _load_modules()
    reach = _Reach(modules)
    reach.visit(handler)
    calls: list[Call] = []
    for module, name, node in reach.functions:
        for call in _calls_in(node, f"{module.name}.{name}"):
            if call.method == "<dynamic>" and call.service:
                calls += [Call(call.where, call.service, method) for method in _dynamic_methods(module, call.service)]
            else:
                calls.append(call)
    return calls


def actions_called(handler: str) -> tuple[set[str], list[Call]]:
    """(IAM actions the handler's calls need, calls whose client or operation could not be resolved)."""
    needed: set[str] = set()
    unresolved: list[Call] = []
    for call in calls_of(handler):
        if call.service is None or call.method not in OPERATIONS[call.service]:
            unresolved.append(call)
            continue
        action = call.action
        if action not in NO_PERMISSION:
            needed.add(action)
    return needed, unresolved


# ----- the synthesized side -----------------------------------------------------------------------------------


def _policy_statements(data: dict[str, Any], reference: str) -> list[dict[str, Any]]:
    prefix, suffix = "${data.aws_iam_policy_document.", ".json}"
    assert reference.startswith(prefix) and reference.endswith(suffix), reference
    documents = data["data"]["aws_iam_policy_document"]
    statements: list[dict[str, Any]] = documents[reference[len(prefix) : -len(suffix)]].get("statement", [])
    return statements


def _role_id(reference: str) -> str:
    """``${aws_iam_role.<id>.<attr>}`` -> ``<id>``."""
    assert reference.startswith("${aws_iam_role.") and reference.endswith("}"), reference
    return reference[len("${aws_iam_role.") : -1].rsplit(".", 1)[0]


@dataclass
class RoleGrants:
    """One role of the synthesized stack: its name, the Lambda handler that runs under it, what it may do."""

    logical_id: str
    name: str
    handler: str | None
    statements: list[dict[str, Any]] = field(default_factory=list)
    managed_policies: list[str] = field(default_factory=list)

    @property
    def actions(self) -> set[str]:
        return {
            action
            for statement in self.statements
            if statement.get("effect", "Allow") == "Allow"
            for action in statement.get("actions", [])
        }


def role_grants(data: dict[str, Any]) -> dict[str, RoleGrants]:
    """Every IAM role of a synthesized stack, with its inline statements and the handler of its Lambda."""
    resources = data.get("resource", {})
    roles = {
        logical_id: RoleGrants(logical_id, str(body.get("name", logical_id)), None)
        for logical_id, body in resources.get("aws_iam_role", {}).items()
    }
    for function in resources.get("aws_lambda_function", {}).values():
        handler = str(function["handler"])
        roles[_role_id(function["role"])].handler = handler
    for policy in resources.get("aws_iam_role_policy", {}).values():
        roles[_role_id(policy["role"])].statements += _policy_statements(data, policy["policy"])
    for attachment in resources.get("aws_iam_role_policy_attachment", {}).values():
        role = attachment["role"]
        roles[_role_id(role)].managed_policies.append(str(attachment["policy_arn"]))
    return roles
