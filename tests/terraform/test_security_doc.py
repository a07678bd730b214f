"""docs/security.md lists exactly the checkov checks the Terraform skips, with their reasons."""

from __future__ import annotations

import re

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
    text = (REPO_ROOT / "docs" / "security.md").read_text()
    section = text.split("## Skipped checkov checks", 1)[1]
    return {m.groups() for m in map(ROW.match, section.splitlines()) if m}


def test_every_skip_is_documented_with_its_reason() -> None:
    skips = inline_skips()
    assert len(skips) >= 10
    assert documented_skips() == skips
