"""Package size: the function zip and the layer zips, as ``make build`` makes them.

Builds with fileproc_tools.build (the same command as ``make build``) for the
sandbox target (x86_64, the one the cold-start figure runs) and for dev's.
"""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from pathlib import Path

from bench.config import Context
from bench.measure import REPO_ROOT
from bench.model import Figure, rounded

# fileproc_tools.build.FUNCTION_ZIP_TARGET_BYTES (not imported: bench workers run under
# the Lambda runtime's Python, without the build's packages).
FUNCTION_TARGET_KB = 288
BUILD_DIR = REPO_ROOT / "build"


def build(env: str, attempts: int = 3) -> None:
    """``make build ENV=env``'s command; tried again when another build running in the
    same checkout (a developer's, the tests') replaced the zip under it."""
    for attempt in range(1, attempts + 1):
        completed = subprocess.run(
            [sys.executable, "-m", "fileproc_tools.build", "--env", env],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode == 0:
            return
        if attempt == attempts:
            raise RuntimeError(f"build for ENV={env} failed: {completed.stderr[-2000:]}")
        time.sleep(5 * attempt)


def layer_zip(env: str) -> Path:
    from fileproc_tools.build import target_for_env

    return BUILD_DIR / target_for_env(env, REPO_ROOT).layer_zip_name


def _unzipped(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def run(ctx: Context) -> list[Figure]:
    envs = ("sandbox",) if ctx.quick else ("sandbox", "dev")
    for env in envs:
        ctx.say(f"package: make build ENV={env}")
        build(env)
    function = BUILD_DIR / "function.zip"
    size_kb = function.stat().st_size / 1024
    figures = [
        Figure(
            id="package.function",
            title="package size: function zip (the fileproc package, all four functions)",
            value=rounded(size_kb, 1),
            unit="KB",
            target=f"<= {FUNCTION_TARGET_KB} KB",
            met=size_kb <= FUNCTION_TARGET_KB,
            method="size of build/function.zip",
            details={"unzipped_kb": round(_unzipped(function) / 1024, 1)},
        )
    ]
    for env in envs:
        layer = layer_zip(env)
        figures.append(
            Figure(
                id=f"package.layer.{env}",
                title=f"package size: layer zip ({layer.name}, ENV={env})",
                value=rounded(layer.stat().st_size / 1024**2, 2),
                unit="MB",
                target="reported",
                method=f"size of build/{layer.name}",
                details={"unzipped_mb": round(_unzipped(layer) / 1024**2, 1)},
            )
        )
    return figures
