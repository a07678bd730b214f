"""Package size: the function zip, each layer zip, and what each function unzips to on
Lambda (its code and its layers), as ``make build`` makes them.

Builds with fileproc_tools.build (the same command as ``make build``) for dev's
target (arm64, what AWS runs) and for the sandbox's (x86_64, the one the cold-start
figure runs), and reads what the build found from build/layers-<runtime>-<arch>.json.
The build itself fails when a function is over the limit these figures report.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.config import Context
from bench.measure import REPO_ROOT
from bench.model import Figure, rounded

# fileproc_tools.build.FUNCTION_ZIP_TARGET_BYTES and HEADROOM_UNZIPPED_BYTES (not
# imported: bench workers run under the Lambda runtime's Python, without the build's
# packages).
FUNCTION_TARGET_KB = 352
LAMBDA_UNZIPPED_MB = 250
FUNCTION_UNZIPPED_TARGET_MB = 200  # Lambda's 250 MB less 20 %
DIRECT_UPLOAD_MB = 50
BUILD_DIR = REPO_ROOT / "build"
MiB = 1024**2


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


def manifest_path(env: str) -> Path:
    """build/layers-<runtime>-<arch>.json of the env's target: the layers and their sizes."""
    from fileproc_tools.build import target_for_env

    return BUILD_DIR / target_for_env(env, REPO_ROOT).manifest_name


def _unzipped(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def _mb(size: int) -> float:
    return round(size / MiB, 1)


def run(ctx: Context) -> list[Figure]:
    envs = ("sandbox",) if ctx.quick else ("dev", "sandbox")
    manifests: dict[str, dict[str, Any]] = {}
    for env in envs:
        ctx.say(f"package: make build ENV={env}")
        build(env)
        manifests[env] = json.loads(manifest_path(env).read_text())
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
    main_env = envs[0]  # dev's arm64 zips: what AWS runs
    main, others = manifests[main_env], {env: manifests[env] for env in envs[1:]}
    target = f"{main['target'][0]} {main['target'][1]}, ENV={main_env}"
    for role, entry in main["functions"].items():
        total = entry["unzipped_bytes"] / MiB
        layers = {name: _mb(main["layers"][name]["unzipped_bytes"]) for name in entry["layers"]}
        figures.append(
            Figure(
                id=f"package.unzipped.{role}",
                title=f"package size: {role} function unzipped, code + layers "
                f"{' + '.join(entry['layers'])} ({target})",
                value=rounded(total, 1),
                unit="MB",
                baseline=LAMBDA_UNZIPPED_MB,
                baseline_what="Lambda's limit for a function and its layers",
                ratio=rounded(total / LAMBDA_UNZIPPED_MB),
                target=f"<= {FUNCTION_UNZIPPED_TARGET_MB} MB",
                met=total <= FUNCTION_UNZIPPED_TARGET_MB,
                method=f"{role}'s code and layers, unzipped, as make build adds them up "
                "(build/layers-*.json; the build fails above the target)",
                details={
                    "code_mb": _mb(entry["code_bytes"]),
                    "layers_mb": layers,
                    **{
                        f"{env}_mb": _mb(other["functions"][role]["unzipped_bytes"])
                        for env, other in others.items()
                    },
                },
            )
        )
    for name, layer in main["layers"].items():
        size_mb = layer["zip_bytes"] / MiB
        figures.append(
            Figure(
                id=f"package.layer.{name}",
                title=f"package size: {name} layer zip ({layer['zip']}, ENV={main_env})",
                value=rounded(size_mb, 2),
                unit="MB",
                target=f"<= {DIRECT_UPLOAD_MB} MB",
                met=size_mb <= DIRECT_UPLOAD_MB,
                method=f"size of build/{layer['zip']} (Lambda takes at most {DIRECT_UPLOAD_MB} "
                "MB in a direct upload)",
                details={
                    "unzipped_mb": _mb(layer["unzipped_bytes"]),
                    "functions": [
                        role for role, entry in main["functions"].items() if name in entry["layers"]
                    ],
                    **{
                        f"{env}_zip_mb": round(other["layers"][name]["zip_bytes"] / MiB, 2)
                        for env, other in others.items()
                        if name in other["layers"]
                    },
                },
            )
        )
    return figures
