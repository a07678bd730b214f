"""The Lambda runtime, as near as this machine has it: Lambda's Python (3.12, found as the
sandbox's runner finds it), the function zip and the layer zips unpacked side by side, and
the SDK the runtime bundles (boto3, copied by the runner and compiled once, as the
runtime ships it). Each function sees its own layers only (common + its own, as
modules/compute deploys them: ``make build``'s build/layers-<runtime>-<arch>.json), so
a figure of one function never borrows another's engines. The zips' code has the
bytecode the build put in the zips, no more: Lambda's code directories are read-only,
so the runs write none (PYTHONDONTWRITEBYTECODE).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from bench.aws import FUNCTION_ENV
from bench.config import Context
from bench.figures.package import BUILD_DIR, build, manifest_path
from bench.measure import REPO_ROOT

RUNTIME = "python3.12"
ENV = "sandbox"  # the environment whose layers match this machine (x86_64, 3.12)


@dataclass(frozen=True)
class LambdaRuntime:
    python: str
    version: str
    function_dir: Path
    layer_dirs: dict[str, Path]  # each layer's python/ directory, by layer name
    function_layers: dict[str, list[str]]  # the layers of each function, by role
    sdk_dir: Path

    def without_bytecode(self) -> LambdaRuntime:
        """The same code with the zips' __pycache__ removed (a copy): the zips as they
        were built before they carried bytecode."""
        root = self.function_dir.parent / "sources-only"
        shutil.rmtree(root, ignore_errors=True)
        ignore = shutil.ignore_patterns("__pycache__")
        function_dir = Path(shutil.copytree(self.function_dir, root / "function", ignore=ignore))
        layer_dirs = {
            name: Path(shutil.copytree(path, root / "layers" / name / "python", ignore=ignore))
            for name, path in self.layer_dirs.items()
        }
        return replace(self, function_dir=function_dir, layer_dirs=layer_dirs)

    def layers_of(self, function: str | None) -> list[Path]:
        """The function's layer directories; None: every layer (a worker that runs the
        code of several functions)."""
        names = list(self.layer_dirs) if function is None else self.function_layers[function]
        return [self.layer_dirs[name] for name in names]

    def env(self, function: str | None = None, *, with_bench: bool = False) -> dict[str, str]:
        """Lambda's environment and paths for ``function`` (image, document, data, api;
        None: with every layer); ``with_bench`` adds this repository's bench package (for
        bench.worker) and the tools it imports, after the Lambda paths."""
        paths = [self.function_dir, *self.layers_of(function), self.sdk_dir]
        if with_bench:
            paths += [REPO_ROOT, *(REPO_ROOT / part for part in ("tools", "cli", "sandbox"))]
        return {
            "PATH": os.environ.get("PATH", ""),
            **FUNCTION_ENV,
            "LAMBDA_TASK_ROOT": str(self.function_dir),
            "LAMBDA_RUNTIME_DIR": str(self.sdk_dir),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{RUNTIME}",
            "PYTHONPATH": os.pathsep.join(str(path) for path in paths),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
        }


_prepared: dict[tuple[object, ...], LambdaRuntime] = {}


def prepare(ctx: Context) -> LambdaRuntime:
    """Unpack the zips (building them first if there are none); again when rebuilt."""
    from fileproc_sandbox.lambda_runner import Runtimes

    function_zip, manifest = BUILD_DIR / "function.zip", manifest_path(ENV)
    if not (function_zip.exists() and manifest.exists()):
        build(ENV)
    found = json.loads(manifest.read_text())
    layer_zips = {name: BUILD_DIR / layer["zip"] for name, layer in found["layers"].items()}
    if not all(path.exists() for path in layer_zips.values()):
        build(ENV)
    zips = [function_zip, *layer_zips.values()]
    key = (ctx.work_dir, *(path.stat().st_mtime for path in zips))
    if key in _prepared:
        return _prepared[key]
    runtimes = Runtimes(ctx.work_dir / "runtime")
    python = runtimes.interpreter(RUNTIME)
    sdk = runtimes.ensure_sdk()
    subprocess.run(
        [python, "-m", "compileall", "-q", str(sdk)], check=True, stdout=subprocess.DEVNULL
    )
    root = ctx.work_dir / "lambda"
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    shutil.rmtree(root / "layer", ignore_errors=True)  # the single layer of earlier builds
    runtime = LambdaRuntime(
        python=python,
        version=version,
        function_dir=_unpacked(function_zip, root / "function"),
        layer_dirs={
            name: _unpacked(path, root / "layers" / name) / "python"
            for name, path in layer_zips.items()
        },
        function_layers={
            function: list(entry["layers"]) for function, entry in found["functions"].items()
        },
        sdk_dir=sdk,
    )
    _prepared[key] = runtime
    return runtime


def _unpacked(archive: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(target)
    return target
