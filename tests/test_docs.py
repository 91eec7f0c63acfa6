"""The docs cannot drift from the code: every `rdmc ...` command line that README.md or a
page under docs/ shows parses with the CLI's own parser, every command has its section in
the command reference, and every page is in the site's navigation."""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest
import yaml

from rdmc.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").rglob("*.md"))
SHELL_BREAKS = {"&&", "||", "|", ";", ">", ">>", "2>&1"}


def code_lines(text: str) -> list[str]:
    """Shell lines of the Markdown's code: indented blocks and ``` fences (not YAML or
    Python ones), with backslash continuations joined."""
    lines, fence, language = [], False, ""
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fence, language = not fence, line.strip()[3:].strip()
            continue
        if fence and language in ("", "bash", "sh", "console", "shell"):
            lines.append(line.strip())
        elif not fence and line.startswith("    ") and not line.lstrip().startswith("- "):
            lines.append(line.strip())
    joined, pending = [], ""
    for line in lines:
        if line.endswith("\\"):
            pending += line[:-1] + " "
        else:
            joined.append(pending + line)
            pending = ""
    return joined


def rdmc_commands(text: str) -> list[list[str]]:
    """The argument lists given to `rdmc` (also `.venv/bin/rdmc` and `-m rdmc`)."""
    commands = []
    for line in code_lines(text):
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            continue
        for i, token in enumerate(tokens):
            if token == "rdmc" or token.endswith("/rdmc"):
                args = []
                for arg in tokens[i + 1 :]:
                    if arg in SHELL_BREAKS:
                        break
                    args.append(arg)
                commands.append(args)
                break
    return commands


DOCUMENTED = [
    (path.relative_to(ROOT).as_posix(), args)
    for path in [ROOT / "README.md", *PAGES]
    for args in rdmc_commands(path.read_text())
]


def test_the_docs_show_commands():
    assert len(DOCUMENTED) >= 25
    assert {args[0] for _, args in DOCUMENTED if args} >= {"derain", "bench", "scoreboard"}


@pytest.mark.parametrize(
    "args", [args for _, args in DOCUMENTED], ids=[" ".join(a)[:60] for _, a in DOCUMENTED]
)
def test_every_documented_command_parses(args):
    parser = build_parser()
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            parser.parse_args(args)
        except SystemExit as exit:
            assert exit.code == 0, f"rdmc {' '.join(args)}: {stderr.getvalue().strip()}"


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    names = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                sub_names = _commands(sub, f"{prefix}{name} ")
                names += sub_names or [f"{prefix}{name}"]
    return names


def test_every_command_has_a_section_in_the_command_reference():
    headings = [
        line for line in (ROOT / "docs" / "cli.md").read_text().splitlines() if line.startswith("#")
    ]
    for command in _commands(build_parser()):
        pattern = re.compile(rf"`rdmc {re.escape(command)}\b")
        assert any(pattern.search(h) for h in headings), f"rdmc {command} has no section"


def test_every_page_is_in_the_navigation():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())

    def pages(nav) -> list[str]:
        found = []
        for item in nav:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            found += pages(value) if isinstance(value, list) else [value]
        return found

    assert sorted(pages(config["nav"])) == [p.relative_to(ROOT / "docs").as_posix() for p in PAGES]


def test_the_readme_stays_a_front_page():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    assert "    bash setup.sh && .venv/bin/tox -e bench\n" in text
    assert "    bash setup.sh && .venv/bin/tox -e py,lint\n" in text
