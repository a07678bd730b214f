"""What a handler's import (the cold start) does besides settings and clients.

Each probe runs in a fresh interpreter, as a cold start does, with the unit
tests' function environment (conftest) inherited.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fileproc import handlers


def probe(code: str, **env: str) -> Any:
    """Run code in a fresh interpreter; it prints one JSON document as its last line."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


GC_PROBE = """
import gc, importlib, json, sys
import fileproc.handlers
gc.collect()  # counts from zero: finding the module must not inherit a collection due
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(phase))
importlib.import_module(sys.argv[1])
print(json.dumps({
    "collections": len(collections),
    "enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
}))
"""


@pytest.mark.parametrize("role", ["image", "document", "data", "api"])
def test_a_handler_loads_without_garbage_collection_and_freezes_what_it_made(role: str) -> None:
    """Everything the import makes lives as long as the container: no collection runs
    during it (without the pause, about a hundred do), and later ones skip it."""
    pytest.importorskip({"image": "PIL", "document": "pypdfium2"}.get(role, "fileproc"))
    result = subprocess.run(
        [sys.executable, "-c", GC_PROBE, f"fileproc.handlers.{role}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state["collections"] == 0
    assert state["enabled"] is True
    assert state["frozen"] > 10_000  # modules, SDK models, clients: all of the import


def test_loading_leaves_a_collector_paused_by_its_caller_paused() -> None:
    gc.disable()
    try:
        with handlers.loading():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


FAILED_IMPORT_PROBE = """
import gc, importlib, json, sys
try:
    importlib.import_module(sys.argv[1])
except Exception as exc:
    failure = type(exc).__name__
print(json.dumps({"failure": failure, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}))
"""


@pytest.mark.parametrize("role", ["image", "document", "data", "api"])
def test_a_handler_that_fails_to_load_leaves_the_collector_on(role: str) -> None:
    """A missing variable fails the import (ConfigError): the process goes on (a test
    run, a sandbox worker, Lambda's next init) with its garbage collector running."""
    pytest.importorskip({"image": "PIL", "document": "pypdfium2"}.get(role, "fileproc"))
    env = {name: value for name, value in os.environ.items() if name != "TABLE_NAME"}
    result = subprocess.run(
        [sys.executable, "-c", FAILED_IMPORT_PROBE, f"fileproc.handlers.{role}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state == {"failure": "ConfigError", "enabled": True, "frozen": 0}


TRACE_PROBE = """
import json, sys
import fileproc.observability
from aws_xray_sdk.core import patcher, xray_recorder
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
patched, sqlite = sorted(patcher._PATCHED_MODULES), "sqlite3" in sys.modules

import boto3
from moto import mock_aws

class Captured(UDPEmitter):
    names = []
    def send_entity(self, entity):
        self.names.append(entity.name)

xray_recorder.configure(emitter=Captured())
with mock_aws():
    boto3.client("s3", region_name="us-east-1").list_buckets()
print(json.dumps({"patched": patched, "sqlite3": sqlite, "traced": Captured.names}))
"""


def test_the_tracer_traces_aws_calls_and_patches_nothing_else(tmp_path: Path) -> None:
    """Tracing on, as on Lambda with Active tracing: every AWS call is a subsegment
    (botocore is patched), and no other library is imported to be patched."""
    state = probe(
        TRACE_PROBE,
        POWERTOOLS_TRACE_DISABLED="false",
        LAMBDA_TASK_ROOT=str(tmp_path),  # Powertools traces only inside Lambda
        # The segment Lambda opens for a sampled invocation.
        _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    )
    assert state["patched"] == ["botocore"]
    assert state["sqlite3"] is False
    assert state["traced"] == ["s3"]  # one subsegment, named after the service
