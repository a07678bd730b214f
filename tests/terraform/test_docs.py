"""The documentation agrees with the Terraform: the READMEs (root and modules) and the
README's security section."""

from __future__ import annotations

import re

import pytest

from fileproc_tools.tfconfig import REPO_ROOT

SKIP = re.compile(r"#checkov:skip=([A-Z0-9_]+):(.+)$")
ROW = re.compile(r"^\| (CKV2?_AWS_\d+) \| (\S+) `[^`]+` \| (.+) \|$")


def inline_skips() -> set[tuple[str, str, str]]:
    found = set()
    paths = [*REPO_ROOT.glob("*.tf"), *REPO_ROOT.glob("modules/*/*.tf")]
    for path in paths:
        for line in path.read_text().splitlines():
            match = SKIP.search(line.strip())
            if match:
                relative = path.relative_to(REPO_ROOT).as_posix()
                found.add((match.group(1), relative, match.group(2).strip()))
    return found


def documented_skips() -> set[tuple[str, str, str]]:
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("### Skipped checkov checks", 1)[1].split("\n## ", 1)[0]
    rows = (ROW.match(line) for line in section.splitlines())
    return {(m.group(1), m.group(2), m.group(3)) for m in rows if m}


def test_every_skip_is_documented_with_its_reason() -> None:
    skips = inline_skips()
    assert len(skips) >= 10
    assert documented_skips() == skips


def _names(text: str, kind: str) -> set[str]:
    return set(re.findall(rf'^{kind} "([^"]+)"', text, re.MULTILINE))


def test_root_readme_lists_every_input_and_output() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert _table_names(readme, "Inputs") == _names(
        (REPO_ROOT / "variables.tf").read_text(), "variable"
    )
    assert _table_names(readme, "Outputs") == _names(
        (REPO_ROOT / "outputs.tf").read_text(), "output"
    )


def _table_names(readme: str, heading: str) -> set[str]:
    section = readme.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9_]+)` \|", section, re.MULTILINE))


@pytest.mark.parametrize("module", ["storage", "compute", "api", "console"])
def test_module_readme_lists_every_input_and_output(module: str) -> None:
    directory = REPO_ROOT / "modules" / module
    readme = (directory / "README.md").read_text()
    assert "## Usage" in readme
    variables = _names((directory / "variables.tf").read_text(), "variable")
    outputs = _names((directory / "outputs.tf").read_text(), "output")
    assert _table_names(readme, "Inputs") == variables
    assert _table_names(readme, "Outputs") == outputs
