"""``terraform destroy`` leaves nothing of the stack behind. This module runs last (conftest.py
moves it there): it destroys the stack every other test uses."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from fileproc_tools import terraform

from .inventory import KINDS, PART_OF, inventory
from .stack import ENV, Stack

pytestmark = pytest.mark.integration


def managed_types(module: dict[str, Any]) -> Counter[str]:
    """Resource type -> count, over a state module and its children."""
    found = Counter(r["type"] for r in module.get("resources", []) if r["mode"] == "managed")
    for child in module.get("child_modules", []):
        found += managed_types(child)
    return found


def test_destroy_leaves_no_resource_behind(stack: Stack) -> None:
    state = json.loads(stack.terraform("show", "-json"))
    deployed = managed_types(state["values"]["root_module"])
    unaccounted = sorted(set(deployed) - set(KINDS) - set(PART_OF))
    assert not unaccounted, f"say in inventory.py how to find these after a destroy: {unaccounted}"

    state_bucket = terraform.Target(ENV).backend_bucket()
    before = inventory(stack, state_bucket)
    # The inventory sees exactly what Terraform made, so an empty one after destroy means
    # something (rather than a lister that finds nothing anyway).
    for resource_type, kind in KINDS.items():
        assert len(before[kind]) == deployed[resource_type], (kind, before[kind])

    stack.destroy()

    after = inventory(stack, state_bucket)
    left = {kind: names for kind, names in after.items() if names}
    assert not left, f"left behind by destroy: {left}"
