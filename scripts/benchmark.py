"""Benchmark (not a test): cold synth against the bare import floor of the bindings, the fast tier and `make test`.

Prints wall seconds, peak memory of the whole process tree (Python + the jsii Node child), and the ratio
synth / import floor. Targets on the 2-core machine: synth <= 1.25 x floor, synth peak <= 1 GiB, `make test`
(lint, mypy and the whole suite, the commands of the Makefile's `test` recipe run one after the other, as make runs
them, without its `setup` prerequisite) <= 180 s. mypy is also timed with an empty cache (a fresh clone's first run).
Usage: python scripts/benchmark.py [--no-suite]
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The bare import of the bindings as published (every resource module), and as the stack loads them
# (dr_stack.binding skips the ~1,500 eager submodule imports; the jsii assembly is still loaded).
FULL_IMPORT = "import cdktf, cdktf_cdktf_provider_aws"
LAZY_IMPORT = (
    "import sys; sys.path.insert(0, 'constructs'); from dr_stack.binding import install; install(); "
    "import cdktf, cdktf_cdktf_provider_aws"
)
TARGETS = {"ratio": 1.25, "synth_peak_mib": 1024, "suite_seconds": 180}


def make_test_commands(target: str = "test", makefile: Path = ROOT / "Makefile") -> list[list[str]]:
    """The commands of a Makefile recipe (`test`, `test-fast`), with its `NAME := value` variables expanded."""
    text = makefile.read_text()
    variables = dict(re.findall(r"^([A-Z_]+) := (.*)$", text, flags=re.M))
    recipe = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, flags=re.M)
    if recipe is None:
        raise SystemExit(f"Makefile has no {target} recipe")
    commands = []
    for line in recipe.group(1).splitlines():
        expanded = re.sub(r"\$\(([A-Z_]+)\)", lambda match: variables[match.group(1)], line.strip())
        commands.append(shlex.split(expanded))
    return commands


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, KiB (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        children.setdefault(int(stat[1]), []).append(int(entry.name))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry.name)] = int(line.split()[1])
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run a command; return (wall seconds, peak tree memory MiB, exit code)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, _tree_rss_kib(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    elapsed = time.perf_counter() - start
    sampler.join()
    return elapsed, peak / 1024, code


def main(argv: list[str]) -> int:
    """Measure side by side and print the figures."""
    env = {**os.environ, "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    env = {k: v for k, v in env.items() if not k.startswith("DR_")}
    python = sys.executable
    full_s, full_mib, _ = measure([python, "-c", FULL_IMPORT], env)
    floor_s, floor_mib, _ = measure([python, "-c", LAZY_IMPORT], env)
    with tempfile.TemporaryDirectory() as out:
        synth_s, synth_mib, code = measure([python, "main.py"], {**env, "CDKTF_OUTDIR": out})
    if code != 0:
        print(f"synth failed with exit code {code}")
        return 1
    print(f"bare import, bindings as published:           {full_s:6.1f} s  peak {full_mib:6.0f} MiB")
    print(f"bare import, bindings as the stack loads them: {floor_s:6.1f} s  peak {floor_mib:6.0f} MiB")
    print(f"cold synth (python main.py, both stacks):      {synth_s:6.1f} s  peak {synth_mib:6.0f} MiB")
    print(
        f"synth / published-import floor: {synth_s / full_s:.2f}; synth / lazy-import floor: "
        f"{synth_s / floor_s:.2f} (target <= {TARGETS['ratio']}); synth peak target <= "
        f"{TARGETS['synth_peak_mib']} MiB"
    )
    ok = synth_s / full_s <= TARGETS["ratio"] and synth_mib <= TARGETS["synth_peak_mib"]
    if "--no-suite" not in argv:
        # The fast tier first (`make test-fast`: everything but `slow`), for the everyday figure; no target.
        (fast,) = make_test_commands("test-fast")
        fast_s, fast_mib, fast_code = measure(fast, env)
        print(f"make test-fast ({shlex.join(fast[1:])[:40]}):")
        print(f"  {'':60} {fast_s:6.1f} s  peak {fast_mib:6.0f} MiB  exit {fast_code}")
        suite_s, suite_mib, suite_code = 0.0, 0.0, 0
        for command in make_test_commands():
            step_s, step_mib, step_code = measure(command, env)
            print(f"  {shlex.join(command)[:60]:60} {step_s:6.1f} s  peak {step_mib:6.0f} MiB  exit {step_code}")
            suite_s, suite_mib, suite_code = suite_s + step_s, max(suite_mib, step_mib), suite_code or step_code
        print(
            f"make test (lint, mypy, pytest, one after the other): {suite_s:6.1f} s  peak {suite_mib:6.0f} MiB  "
            f"exit {suite_code} (target <= {TARGETS['suite_seconds']} s)"
        )
        with tempfile.TemporaryDirectory() as cache:
            mypy = next(command for command in make_test_commands() if command[1:3] == ["-m", "mypy"])
            cold_s, _, _ = measure([*mypy, "--cache-dir", cache], env)
        print(f"mypy with an empty cache (a fresh clone):      {cold_s:6.1f} s")
        ok = ok and suite_s <= TARGETS["suite_seconds"] and suite_code == 0 and fast_code == 0
    print("targets met" if ok else "targets NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
