"""Import the AWS provider binding without its ~1,500 submodules: ~4 s and 35 MiB instead of ~14 s and 525 MiB.

`cdktf_cdktf_provider_aws/__init__.py` registers the jsii assembly, then imports every resource module. The
stack needs only the modules it names (`from cdktf_cdktf_provider_aws.vpc import Vpc` imports that one on
demand), so the finder below runs the package's own __init__ up to the eager imports and skips them. If the
binding's layout is not the expected one, it falls back to the normal import: slower, never wrong.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import re
import sys
from collections.abc import Sequence
from types import ModuleType

PACKAGE = "cdktf_cdktf_provider_aws"
_MARKER = "publication.publish()"
_EAGER_IMPORT = re.compile(r"^from \. import \w+$")


def _head_of(source: str) -> str | None:
    """The __init__ source up to the eager submodule imports, or None when anything else follows them."""
    head, marker, tail = source.partition(_MARKER)
    if not marker:
        return None
    rest = [line.strip() for line in tail.splitlines() if line.strip() and not line.strip().startswith("#")]
    if not rest or not all(_EAGER_IMPORT.match(line) for line in rest):
        return None
    return head + marker + "\n"


class _HeadLoader(importlib.abc.Loader):
    """Runs the package __init__ without its trailing `from . import <every module>` lines."""

    def __init__(self, original: importlib.abc.Loader, origin: str) -> None:
        self._original = original
        self._origin = origin

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        with open(self._origin, encoding="utf-8") as handle:
            head = _head_of(handle.read())
        if head is None:
            self._original.exec_module(module)  # type: ignore[attr-defined]
            return
        exec(compile(head, self._origin, "exec"), module.__dict__)  # noqa: S102 (the binding's own code)


class _LazyBindingFinder(importlib.abc.MetaPathFinder):
    """Meta-path finder that only answers for the binding's top-level package."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != PACKAGE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and spec.origin:
                spec.loader = _HeadLoader(spec.loader, spec.origin)
                return spec
        return None


def install() -> None:
    """Register the finder once, before the binding is first imported (no effect if it already was)."""
    if PACKAGE in sys.modules or any(isinstance(f, _LazyBindingFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _LazyBindingFinder())
