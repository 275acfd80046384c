"""The docs a user acts on: a short task-ordered README, generated tables that are current, a runbook whose
every command parses, and no internal history references anywhere a reader looks."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from dr_failover.run.events import parse_event

from scripts.docs_tables import FILES, render, rendered_files, tables

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = ROOT / "docs" / "runbook.md"
README_MAX_LINES = 200

# Example values the runbook's shell variables take in an incident (the dev profile's regions), so each payload
# can be checked as the function would receive it. A variable the runbook sets from `terraform output` or a
# command substitution gets a value of its kind.
SAMPLE_VALUES = {"R": "us-west-2", "PRIMARY_R": "us-east-1", "WRITER_R": "us-east-1"}
# Route53's API is served from us-east-1 (Route53 API Reference, "Amazon Route 53 endpoints and quotas").
ROUTE53_API_REGION = "us-east-1"


def _sh_blocks(path: Path) -> list[str]:
    """The fenced ```sh blocks of a markdown file, without the fence lines."""
    blocks = path.read_text().split("```")[1::2]
    return [block.split("\n", 1)[1] for block in blocks if block.startswith("sh\n")]


def _logical_lines(block: str) -> list[str]:
    """Lines with backslash continuations joined, as bash reads them."""
    return block.replace("\\\n", " ").splitlines()


def _commands(line: str) -> list[list[str]]:
    """Simple commands of one line, quotes removed (shlex, as POSIX sh splits words), split at ; && | ( )."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token and set(token) <= set(";&|()<>"):
            commands.append([])
        else:
            commands[-1].append(token)
    # `VAR=$(cmd ...)`: shlex keeps "VAR=$" as a word before "("; drop leading assignments of each command.
    result = []
    for words in commands:
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words = words[1:]
        if words:
            result.append(words)
    return result


def _aws_commands() -> list[list[str]]:
    """Every `aws` command of the runbook's shell blocks, as words."""
    return [
        words
        for block in _sh_blocks(RUNBOOK)
        for line in _logical_lines(block)
        for words in _commands(line)
        if words[0] == "aws"
    ]


def _option(words: list[str], name: str) -> str | None:
    """The value of ``--name value`` in a command, or None."""
    return words[words.index(name) + 1] if name in words else None


def _substitute(text: str) -> str:
    """``$VAR`` replaced by an example value of its kind."""
    return re.sub(r"\$([A-Za-z_][A-Za-z0-9_]*)", lambda m: SAMPLE_VALUES.get(m.group(1), f"sample-{m.group(1)}"), text)


def _assignments() -> dict[str, str]:
    """VAR -> the text assigned to it anywhere in the runbook's shell blocks."""
    found: dict[str, str] = {}
    for block in _sh_blocks(RUNBOOK):
        for line in _logical_lines(block):
            for match in re.finditer(r"(?:^|[;\s])([A-Za-z_][A-Za-z0-9_]*)=(\$\([^)]*\)|[^\s;]+)", line):
                found[match.group(1)] = match.group(2)
    return found


def _from_terraform_output(variable: str, assignments: dict[str, str], seen: frozenset[str] = frozenset()) -> bool:
    """Whether a variable's value comes from `terraform output`, directly or through another variable."""
    value = assignments.get(variable, "")
    if "terraform output" in value:
        return True
    alias = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", value)
    if alias is None or alias.group(1) in seen:
        return False
    return _from_terraform_output(alias.group(1), assignments, seen | {variable})


def test_readme_is_short_and_ordered_by_task() -> None:
    """A newcomer finds how to deploy, what to do in an incident and what it costs among the first sections."""
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= README_MAX_LINES, len(text.splitlines())
    sections = re.findall(r"^## (.+)$", text, flags=re.M)
    assert sections[:4] == ["Two commands", "Deploy in three steps", "In an incident", "Configure"], sections
    assert {"Cost", "Tear down", "Code map", "Contributing"} <= set(sections), sections
    assert "(docs/runbook.md)" in text


def test_every_relative_link_in_the_docs_names_a_file_that_exists() -> None:
    for page in [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" not in target:
                assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def test_every_anchor_in_the_docs_names_a_heading() -> None:
    """GitHub's heading anchors: lower case, punctuation but - and _ dropped, spaces as hyphens."""
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for target, anchor in re.findall(r"\]\(([^)#]*)#([^)]+)\)", page.read_text()):
            linked = (page.parent / target) if target else page
            headings = re.findall(r"^#+ (.+)$", linked.read_text(), flags=re.M)
            anchors = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
            assert anchor in anchors, f"{page.relative_to(ROOT)}: #{anchor} not a heading of {linked.name}"


def test_generated_tables_are_current() -> None:
    """docs/settings.md and docs/budget.md hold the tables generated from the settings; rewrite them with
    `python scripts/docs_tables.py --write`."""
    for path, (current, fresh) in rendered_files().items():
        assert current == fresh, f"{path.relative_to(ROOT)} is stale: python scripts/docs_tables.py --write"


def test_a_stale_table_is_detected_and_rewritten() -> None:
    """The freshness check can fail: a file whose generated table lost a row differs from its render, and the
    generator's render puts the row back."""
    generated = tables()
    for path, (_current, fresh) in rendered_files().items():
        relative = path.relative_to(ROOT).as_posix()
        stale = re.sub(r"\n\|[^\n]*\|(?=\n<!--)", "", fresh, count=1)
        assert stale != fresh, relative
        assert render(stale, {name: table for name, table in generated.items() if FILES[name] == relative}) == fresh


def test_every_runbook_block_is_valid_bash() -> None:
    """`bash -n` reads each block without running it: a quoting slip fails here, not at the prompt."""
    blocks = _sh_blocks(RUNBOOK)
    assert len(blocks) >= 8, len(blocks)
    for block in blocks:
        done = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{done.stderr}\n{block}"


def test_every_aws_command_of_the_runbook_names_its_region() -> None:
    """Without --region the CLI uses whatever region the shell's profile has, maybe the one that is down."""
    commands = _aws_commands()
    assert len(commands) >= 15, len(commands)
    assignments = _assignments()
    for words in commands:
        region = _option(words, "--region")
        assert region, " ".join(words)
        if words[1] == "route53":
            assert region == ROUTE53_API_REGION, " ".join(words)
        else:
            assert region.startswith("$") and _from_terraform_output(region[1:], assignments), " ".join(words)


def test_every_invoked_function_name_comes_from_terraform_output() -> None:
    assignments = _assignments()
    for words in _aws_commands():
        name = _option(words, "--function-name")
        if name is not None:
            assert name.startswith("$") and _from_terraform_output(name[1:], assignments), " ".join(words)


def test_every_json_argument_of_the_runbook_is_valid_json() -> None:
    arguments = [word for words in _aws_commands() for word in words if word.startswith(("{", "["))]
    assert len(arguments) >= 12, len(arguments)
    for argument in arguments:
        json.loads(_substitute(argument))


def test_every_payload_is_an_event_the_function_in_that_region_accepts() -> None:
    """Each payload passes the orchestrator's own event validation (dr_failover.run.events.parse_event) for the
    function in the region the command names: target_region is that region, every key is known."""
    payloads = 0
    for words in _aws_commands():
        payload = _option(words, "--payload")
        if payload is None:
            continue
        region = _substitute(_option(words, "--region") or "")
        parse_event(json.loads(_substitute(payload)), function_region=region)
        payloads += 1
    assert payloads >= 10, payloads


def test_every_asynchronous_run_gets_a_fresh_run_id_and_a_status_check() -> None:
    """A spent run id answers its recorded outcome and starts nothing: each started run needs its own id (set from
    the clock in the same block) and a `status` call with that id after it."""
    started = 0
    for block in _sh_blocks(RUNBOOK):
        lines = _logical_lines(block)
        for index, line in enumerate(lines):
            if "--invocation-type Event" not in line:
                continue
            run_id = re.search(r'"run_id":"\'\$(\w+)\'"', line)
            assert run_id, line
            variable = run_id.group(1)
            assert any(re.match(rf"{variable}=\S*\$\(date ", earlier) for earlier in lines[:index]), line
            status = [later for later in lines[index + 1 :] if '"mode":"status"' in later and f"'${variable}'" in later]
            assert status, f"no status call after {line}"
            started += 1
    assert started >= 4, started


def test_no_internal_history_references_in_code_tests_or_docs() -> None:
    """Numbers of this project's own issues and reviews mean nothing to a reader; public upstream issues, named
    with their repository (``owner/repo issue N``), may stay."""
    pattern = re.compile(r"\b(?:issue|review|finding)s?\s+#?\d", flags=re.I)
    upstream = re.compile(r"[\w.-]+/[\w.-]+ $")
    roots = ["constructs", "lambda_src", "__tests__", "scripts", "docs", "security", ".ci"]
    files = [ROOT / name for name in ("README.md", "CHANGELOG.md", "Makefile", "main.py", "pyproject.toml")]
    files += [path for root in roots for path in (ROOT / root).rglob("*") if path.suffix in (".py", ".md", ".toml", "")]
    found = []
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(errors="ignore")
        for match in pattern.finditer(text):
            if not upstream.search(text[max(0, match.start() - 80) : match.start()]):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)}")
    assert not found, found


@pytest.mark.parametrize("page", ["runbook", "deploy", "settings", "architecture", "budget", "fault-model", "testing"])
def test_each_audience_has_its_page(page: str) -> None:
    assert (ROOT / "docs" / f"{page}.md").is_file()


def test_every_test_the_fault_model_names_exists() -> None:
    """Each row of docs/fault-model.md names the tests that show it: `file.py::test` names a file and a test,
    `::test` and a bare `test_...` a test of the last file named in the cell (test_failover_faults.py before any). A
    renamed or removed test makes its row untrue; this lists every such name."""
    defined = {
        path.name: set(re.findall(r"^def (test_\w+)", path.read_text(), re.M))
        for path in (ROOT / "__tests__").rglob("test_*.py")
    }
    missing = []
    for line in (ROOT / "docs" / "fault-model.md").read_text().splitlines():
        if not line.startswith("| ") or line.startswith("| fault "):
            continue
        current = "test_failover_faults.py"
        for name in re.findall(r"`([^`]+)`", line.rsplit(" | ", 1)[-1]):
            named = re.fullmatch(r"(test_\w+\.py)(?:::(test_\w+))?", name)
            if named:
                current, name = named.group(1), named.group(2) or ""
            else:
                name = name.removeprefix("::")
            if name.startswith("test_") and name not in defined.get(current, set()):
                missing.append(f"{current}::{name}")
    assert not missing, missing


# The folder holding each top-level package or module of the project that prose names by dotted path.
IMPORT_ROOTS = {
    "dr_stack": ROOT / "constructs",
    **{
        name: ROOT / "lambda_src"
        for name in ("dr_failover", "dr_probe", "dr_permissions", "dr_contract", "dr_cluster_spec")
    },
    "scripts": ROOT,
}


def _dotted_path_exists(dotted: str) -> bool:
    """Whether ``package.module[.name]`` names a package or module of the project, and ``name`` (the first part
    after the module, if any) is a word its source contains."""
    parts = dotted.split(".")
    if parts[-1] == "py":  # a file name: ``dr_contract.py``
        return (IMPORT_ROOTS[parts[0]] / "/".join(parts[:-1])).with_suffix(".py").is_file()
    where = IMPORT_ROOTS[parts[0]]
    for index, part in enumerate(parts):
        if (where / part).is_dir():
            where = where / part
            continue
        if (where / f"{part}.py").is_file():
            module, name = where / f"{part}.py", parts[index + 1] if index + 1 < len(parts) else ""
        else:
            module, name = where / "__init__.py", part
        return module.is_file() and (not name or re.search(rf"\b{re.escape(name)}\b", module.read_text()) is not None)
    return True


def _named_paths(text: str) -> tuple[list[str], list[str]]:
    """The dotted module paths and the project file paths a text names."""
    packages = "|".join(IMPORT_ROOTS)
    dotted = re.findall(rf"(?<![\w./-])((?:{packages})(?:\.[A-Za-z_]\w*)+)", text)
    folders = "constructs|lambda_src|scripts|__tests__|docs|security|environments"
    files = re.findall(rf"(?<![\w./-])((?:{folders})/[\w./-]*\w\.(?:py|md|txt|json|toml))", text)
    return dotted, files


def test_every_module_and_file_named_in_code_tests_or_docs_exists() -> None:
    """A docstring or page pointing at a module, a test file or a script that was moved or renamed sends its reader
    nowhere. Every dotted path into the project's packages and every project file path named in code, tests or docs
    exists. The changelog is left out: it names what things were called when they changed."""
    roots = ["constructs", "lambda_src", "__tests__", "scripts", "docs", "security"]
    files = [ROOT / name for name in ("README.md", "Makefile", "main.py")]
    files += [path for root in roots for path in (ROOT / root).rglob("*") if path.suffix in (".py", ".md")]
    missing = []
    for path in files:
        dotted, named_files = _named_paths(path.read_text(errors="ignore"))
        missing += [f"{path.relative_to(ROOT)}: {name}" for name in dotted if not _dotted_path_exists(name)]
        missing += [f"{path.relative_to(ROOT)}: {name}" for name in named_files if not (ROOT / name).exists()]
    assert not missing, missing


def test_a_moved_module_named_in_prose_is_detected() -> None:
    # Built from parts, so this file does not itself name a missing module.
    moved, renamed = ".".join(("dr_stack", "permissions")), ".".join(("dr_failover", "run", "no_such_module"))
    gone = "/".join(("__tests__", "test_gone.py"))
    text = f"see ``dr_stack.traffic``, {moved}, {renamed}.helper, dr_failover.run.plan, dr_contract.py and {gone}"
    dotted, named_files = _named_paths(text)
    assert [name for name in dotted if not _dotted_path_exists(name)] == [moved, f"{renamed}.helper"]
    assert [name for name in named_files if not (ROOT / name).exists()] == [gone]


def _prose_code_spans(text: str) -> list[str]:
    """The inline code spans of a markdown text outside its fenced blocks (a span may wrap a line)."""
    prose = "".join(text.split("```")[0::2])
    return re.findall(r"`([^`]+)`", prose)


def test_no_aws_command_of_the_runbook_is_in_its_prose() -> None:
    """The checks above read the fenced ``sh`` blocks only: a command in an inline span escapes all of them (a
    queue name where the CLI wants a URL, a missing --region). So every `aws` command is in a block."""
    spans = _prose_code_spans(RUNBOOK.read_text())
    assert len(spans) >= 50, len(spans)
    assert [span for span in spans if re.match(r"\s*aws\s", span)] == []
    sample = "read `aws sqs receive-message\n--queue-url q`, then\n```sh\naws sqs get-queue-url\n```\n`status`"
    assert _prose_code_spans(sample) == ["aws sqs receive-message\n--queue-url q", "status"]


PAGES_READING_OUTPUTS = ("docs/runbook.md", "docs/deploy.md", "README.md")


def _terraform_output_names(text: str) -> list[str]:
    """The names a text reads with ``terraform output [-raw|-json] NAME``."""
    return re.findall(r"terraform output(?:\s+-(?:raw|json))*\s+([A-Za-z_]\w*)", text)


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_every_terraform_output_the_docs_read_is_declared(fixture: str, request: pytest.FixtureRequest) -> None:
    """`terraform output -raw NAME` of an output the stack does not declare fails (`Output "NAME" not found`)
    exactly when the operator needs the value; every name the runbook, the deploy guide and the README read is an
    output of the synthesized DR stack in both profiles."""
    declared = set(request.getfixturevalue(fixture).outputs())
    used = {page: set(_terraform_output_names((ROOT / page).read_text())) for page in PAGES_READING_OUTPUTS}
    assert len(used["docs/runbook.md"]) >= 10, used
    assert {page: sorted(names - declared) for page, names in used.items() if names - declared} == {}
    assert _terraform_output_names("X=$(terraform output -raw a_b) `terraform output`, terraform output -json c") == [
        "a_b",
        "c",
    ]


# A table cell longer than a paragraph does not fit a screen's column: what does not fit goes in prose below it.
MAX_TABLE_CELL = 500


def _table_cells(text: str) -> list[str]:
    """The cells of every markdown table row of a text (fenced blocks left out), stripped."""
    prose = "".join(text.split("```")[0::2])
    rows = [line.strip() for line in prose.splitlines() if line.lstrip().startswith("|")]
    return [cell.strip() for row in rows for cell in re.split(r"(?<!\\)\|", row.strip("|"))]


def test_no_table_cell_of_the_docs_is_longer_than_a_paragraph() -> None:
    """Generated tables (docs/settings.md, docs/budget.md) included: their generator's text is what to shorten."""
    long_cells = [
        f"{page.relative_to(ROOT)}: {len(cell)} characters: {cell[:60]}..."
        for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
        for cell in _table_cells(page.read_text())
        if len(cell) > MAX_TABLE_CELL
    ]
    assert long_cells == []
    sample = f"| a | {'x' * (MAX_TABLE_CELL + 1)} |\n|---|---|\n```\n| {'y' * 999} |\n```\n"
    assert [len(cell) for cell in _table_cells(sample)] == [1, MAX_TABLE_CELL + 1, 3, 3]
