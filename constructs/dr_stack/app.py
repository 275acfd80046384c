"""Build the App from validated settings: both stacks, nothing written until synth()."""

from __future__ import annotations

from cdktf import App

from dr_stack.config.settings import Settings
from dr_stack.foundation.bootstrap import BootstrapStack
from dr_stack.naming import names
from dr_stack.stacks import DrStack


def stack_names(settings: Settings) -> tuple[str, str]:
    """Names of the bootstrap and DR stacks (the cdktf.out/stacks/<name> folders)."""
    return names.stack_names(settings.name_prefix)


def build_app(settings: Settings, *, outdir: str | None = None) -> App:
    """Create the App with the bootstrap and DR stacks for already validated settings."""
    app = App(outdir=outdir) if outdir else App()
    bootstrap_name, dr_name = stack_names(settings)
    bootstrap = BootstrapStack(app, bootstrap_name, settings=settings)
    dr = DrStack(app, dr_name, settings=settings)
    if settings.state_backend == "s3":
        # The DR stack's state lives in the bootstrap stack's bucket: cdktf runs stacks without a declared
        # dependency in parallel, so `cdktf deploy '*'` would start the DR stack before its bucket exists.
        dr.add_dependency(bootstrap)
    return app
