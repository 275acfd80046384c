"""Build the App from settings: validated first, so bad settings leave no partial cdktf.out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdktf import App

from dr_stack.bootstrap import BootstrapStack
from dr_stack.settings import Settings, load_settings
from dr_stack.stacks import DrStack


def stack_names(settings: Settings) -> tuple[str, str]:
    """Names of the bootstrap and DR stacks (the cdktf.out/stacks/<name> folders)."""
    return f"{settings.name_prefix}-bootstrap", f"{settings.name_prefix}-dr"


def build_app(
    overrides: Mapping[str, Any] | None = None, *, outdir: str | None = None, environ: Mapping[str, str] | None = None
) -> App:
    """Validate settings, then create the App with both stacks (not yet synthesized)."""
    settings = load_settings(overrides, environ)
    app = App(outdir=outdir) if outdir else App()
    bootstrap_name, dr_name = stack_names(settings)
    BootstrapStack(app, bootstrap_name, settings=settings)
    DrStack(app, dr_name, settings=settings)
    return app
