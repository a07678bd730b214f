"""Right after an apply, Terraform must find nothing to change: every attribute it set reads
back as it was set (a perpetual diff means either a module that fights the provider or an
emulator that answers unlike AWS)."""

from __future__ import annotations

from typing import Any

import pytest

from .stack import Stack

pytestmark = pytest.mark.integration


def differences(before: Any, after: Any, unknown: Any, path: str = "") -> list[str]:
    """The attribute paths whose planned value differs from the current one."""
    if unknown is True:
        return [f"{path or '(whole)'}: known after apply"]
    if isinstance(before, dict) and isinstance(after, dict):
        unknown = unknown if isinstance(unknown, dict) else {}
        found: list[str] = []
        for name in sorted(set(before) | set(after) | set(unknown)):
            found += differences(
                before.get(name), after.get(name), unknown.get(name), f"{path}.{name}".lstrip(".")
            )
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        unknown = unknown if isinstance(unknown, list) else [None] * len(after)
        found = []
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            found += differences(old, new, unknown[index], f"{path}[{index}]")
        return found
    return [] if before == after else [f"{path}: {before!r} -> {after!r}"]


def describe(change: dict[str, Any]) -> str:
    details = change["change"]
    lines = [f"{change['address']}: {'/'.join(details['actions'])}"]
    diffs = differences(details.get("before"), details.get("after"), details.get("after_unknown"))
    lines += [f"    {line}" for line in diffs[:20]]
    if details.get("replace_paths"):
        lines.append(f"    forces replacement: {details['replace_paths']}")
    return "\n".join(lines)


def test_a_second_plan_after_apply_is_empty(stack: Stack) -> None:
    plan = stack.plan()
    changes = [
        change
        for change in plan.resource_changes.values()
        if change["change"]["actions"] != ["no-op"]
    ]
    outputs = [
        name
        for name, change in plan.get("output_changes", {}).items()
        if change["actions"] != ["no-op"]
    ]
    report = "\n".join(describe(change) for change in changes)
    assert not changes, f"the plan after apply changes {len(changes)} resource(s):\n{report}"
    assert not outputs, f"the plan after apply changes outputs: {outputs}"
