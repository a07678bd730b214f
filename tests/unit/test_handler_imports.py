"""Each function imports only what its layers carry (lambda_src/requirements.txt's
sections, as `make build` splits them): at its cold start and for the first file of
each kind it takes.

The development environment has every engine installed, so an import of another
function's engine would pass every other unit test here and fail on Lambda, where
that function's layers do not have it. Each probe runs in a fresh interpreter (the
unit tests' function environment, conftest) and reports the third-party
distributions loaded, from sys.modules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from importlib.metadata import distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from fileproc_tools import build
from fileproc_tools.tfconfig import REPO_ROOT

SAMPLES = REPO_ROOT / "samples"
# The engines each function must never load (another function's): the layers say so too,
# this says it in words.
FOREIGN = {
    "image": {"duckdb", "pypdfium2", "chardet", "pydantic"},
    "document": {"duckdb", "pydantic"},
    "data": {"pillow", "pypdfium2", "pydantic"},
    "api": {"pillow", "pypdfium2", "chardet", "duckdb"},
}
# Imported by the first file that needs it, never by the handler: a function that
# never sees such a file never pays for it.
LAZY = {"document": {"pypdfium2", "chardet"}, "data": {"chardet"}}
# Imported when present, not needed: botocore takes certifi's CA bundle if it can import
# it, and its own otherwise (botocore.httpsession).
OPTIONAL = frozenset({"certifi"})

PROBE = """
import importlib, io, json, sys
from importlib.metadata import packages_distributions
role, sample, extension = sys.argv[1:4]
found = packages_distributions()
started = set(sys.modules)  # the interpreter's and this venv's start-up (.pth files)
importlib.import_module(f"fileproc.handlers.{role}")
def loaded():
    names = set(sys.modules) - started
    return sorted({d for m in names for d in found.get(m.split(".")[0], [])})
at_import = loaded()
outcome = None
if sample:
    from fileproc.config import load_settings
    processor = importlib.import_module(f"fileproc.processors.{role}")
    data = open(sample, "rb").read()
    try:
        processor.process(io.BytesIO(data), size=len(data), extension=extension,
                          settings=load_settings())
        outcome = "processed"
    except Exception as exc:
        outcome = type(exc).__name__
print(json.dumps({"import": at_import, "first_file": loaded(), "outcome": outcome}))
"""


def probe(role: str, sample: Path | None = None, extension: str = "") -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, role, str(sample or ""), extension],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


@cache
def runtime_provided() -> frozenset[str]:
    """boto3 and what it needs: the Lambda runtime's own, never in a layer."""
    names: set[str] = set()
    pending = list(build.RUNTIME_PROVIDED)
    while pending:
        name = pending.pop()
        if name in names:
            continue
        names.add(name)
        for line in distribution(name).requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(canonicalize_name(requirement.name))
    return frozenset(names)


@cache
def layer_packages() -> dict[str, frozenset[str]]:
    """The distributions in each function's layers, by function."""
    layers = build.plan_layers(build.read_requirements(build.REQUIREMENTS))
    return {
        function: frozenset(pin.name for name in names for pin in layers[name])
        for function, names in build.function_layers(layers).items()
    }


def outside_the_layers(role: str, loaded: list[str]) -> set[str]:
    third_party = {canonicalize_name(name) for name in loaded} - {"fileproc"}
    return third_party - layer_packages()[role] - runtime_provided() - OPTIONAL


@pytest.mark.parametrize("role", list(FOREIGN))
def test_a_handler_imports_only_what_its_layers_carry(role: str) -> None:
    loaded = probe(role)["import"]
    names = {canonicalize_name(name) for name in loaded}
    assert not names & FOREIGN[role]
    assert not names & LAZY.get(role, set())
    assert not outside_the_layers(role, loaded)


KINDS = [
    ("image", SAMPLES / "photo.jpg", ".jpg"),
    ("document", SAMPLES / "report.pdf", ".pdf"),
    ("document", SAMPLES / "notes.txt", ".txt"),
    ("data", SAMPLES / "measurements.csv", ".csv"),
    ("data", SAMPLES / "catalog.json", ".json"),
]


@pytest.mark.parametrize(("role", "sample", "extension"), KINDS, ids=lambda k: str(k)[-14:])
def test_a_first_file_imports_only_what_its_function_has(
    role: str, sample: Path, extension: str
) -> None:
    found = probe(role, sample, extension)
    assert found["outcome"] == "processed"
    names = {canonicalize_name(name) for name in found["first_file"]}
    assert not names & FOREIGN[role]
    assert not outside_the_layers(role, found["first_file"])
    if extension == ".pdf":
        assert "pypdfium2" in names  # the lazy import did happen, in this function's layer


def test_the_layers_carry_no_function_another_functions_engine() -> None:
    """The check above is only as strong as the layers: none holds a foreign engine."""
    for role, packages in layer_packages().items():
        assert not packages & FOREIGN[role], role
