"""The lazy loader of the AWS binding: same synthesized JSON, a fraction of the import cost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dr_stack.binding import _head_of

ROOT = Path(__file__).resolve().parent.parent


def test_head_stops_before_the_eager_imports() -> None:
    source = "import jsii\nX = 1\npublication.publish()\n\nfrom . import vpc\nfrom . import subnet\n"
    assert _head_of(source) == "import jsii\nX = 1\npublication.publish()\n"


def test_unexpected_layout_falls_back_to_the_full_import() -> None:
    assert _head_of("import jsii\n") is None
    assert _head_of("publication.publish()\nfrom . import vpc\nREGISTRY = {}\n") is None


def test_only_named_modules_are_loaded(dev: object) -> None:
    loaded = [name for name in sys.modules if name.startswith("cdktf_cdktf_provider_aws.")]
    assert "cdktf_cdktf_provider_aws.vpc" in loaded
    assert "cdktf_cdktf_provider_aws.workspaces_workspace" not in loaded
    assert len(loaded) < 150


def test_lazy_and_full_import_synthesize_the_same_json(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DR_")}
    env["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{env.get('PATH', '')}"
    outputs = {}
    for mode, prelude in (("lazy", ""), ("full", "import cdktf_cdktf_provider_aws; ")):
        outdir = tmp_path / mode
        code = (
            f"{prelude}import sys; sys.path[:0] = ['constructs']; from dr_stack.app import build_app; "
            "from dr_stack.settings import load_settings; "
            f"build_app(load_settings(), outdir={str(outdir)!r}).synth()"
        )
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
        outputs[mode] = {p.parent.name: json.loads(p.read_text()) for p in outdir.glob("stacks/*/cdk.tf.json")}
    assert outputs["lazy"] and outputs["lazy"] == outputs["full"]
