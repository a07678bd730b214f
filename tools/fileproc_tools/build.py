"""Package the Lambda code: build/function.zip and the layers,
build/layer-<layer>-<runtime>-<architecture>.zip.

The layers come from the sections of lambda_src/requirements.txt, each of which
names the functions that import its pins: ``common`` holds the pins every
function needs, and each function whose engines the others do not use gets a
layer of its own (``image``, ``document``, ``data``, ``api``); a function is
deployed with common + its own layer (modules/compute). A function never
carries another's engine: the data function's DuckDB (64-69 MB unzipped) costs
the image function nothing. Every function's code and layers, unzipped, must
stay within HEADROOM_UNZIPPED_BYTES (Lambda's 250 MB less 20 %): the build
fails otherwise, naming the function and the sizes, and writes what it found to
build/layers-<runtime>-<architecture>.json (the bench reads it).

The zips are deterministic (sorted entries, fixed timestamps and permissions,
relative paths), so Terraform's ``source_code_hash`` (``filebase64sha256``)
changes only when the code or the pinned dependencies do.

Both carry bytecode compiled by the target runtime's own Python (found as the
sandbox's runner finds it): Lambda's /var/task and /opt are read-only, so code
shipped without ``__pycache__/*.cpython-3XX.pyc`` is compiled again on every cold
start. The .pyc files are hash-based (no source mtime inside), so the same
sources give the same bytes. A machine without that Python builds without
bytecode and says so: those zips work, but differ from (and start slower than)
zips built with it.

The layers hold wheels for the Lambda's platform, not the build machine's: pip
downloads them with ``--platform``/``--python-version``/``--only-binary``,
``installer`` (the reference wheel installer) spreads them under ``python/``,
and every ELF file in the result is checked against the target architecture.
Downloaded wheels (of every layer at once) are cached under ``build/wheels/`` per
requirements, runtime and architecture, so a second build is fast and works offline.

A zip is built again only when its inputs change: beside each one,
``<zip>.inputs.json`` records the hash of what it was made from (the function
zip: every source file; a layer: its pins, the target, pip's arguments; both:
the compiling interpreter's version and this module's own code) and the zip's
hash. When both still match, the zip is reused as it is: a re-run of ``make
demo``/``deploy`` then skips the layers' 15-20 s of installing and compiling.

    python -m fileproc_tools.build --env dev
    python -m fileproc_tools.build --runtime python3.13 --architecture x86_64
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any, Literal

from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import Version

from fileproc_sandbox.lambda_runner import (
    InterpreterError,
    find_interpreter,
    interpreter_variable,
)
from fileproc_tools.tfconfig import REPO_ROOT

LAMBDA_SRC = REPO_ROOT / "lambda_src"
REQUIREMENTS = LAMBDA_SRC / "requirements.txt"
BUILD_DIR = REPO_ROOT / "build"
# The web console's function (modules/console): its handler and static files.
CONSOLE_SRC = REPO_ROOT / "console"
CONSOLE_HANDLER = "fileproc_console.py"
PACKAGE = "fileproc"
# The four functions' handlers, fileproc.handlers.<role>.handler (docs/contracts.md).
HANDLER_MODULES = ("image", "document", "data", "api")
# Directories that never belong in the function zip, wherever they appear.
EXCLUDED_DIRS = frozenset({"__pycache__", "tests", "test"})

DEFAULT_RUNTIME = "python3.12"
DEFAULT_ARCHITECTURE = "arm64"
# Only the runtimes on Amazon Linux 2023 (glibc 2.34). Older Python runtimes
# run on Amazon Linux 2 (glibc 2.26), where manylinux_2_28 wheels fail to load.
RUNTIME_PYTHON = {"python3.12": "3.12", "python3.13": "3.13"}
GLIBC_MINOR = 34
ARCH_MACHINE = {"arm64": "aarch64", "x86_64": "x86_64"}
ELF_MACHINE = {"aarch64": 183, "x86_64": 62}  # e_machine values EM_AARCH64, EM_X86_64
# Every Python runtime ships these; a copy in the layer would shadow the
# runtime's own and then go stale.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})

# Lambda quotas, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
MAX_DIRECT_UPLOAD_BYTES = 50 * 1024**2  # a zip sent in the API call (Terraform `filename`)
MAX_UNZIPPED_BYTES = 250 * 1024**2  # a function and all its layers, unzipped
# What `make build` allows a function and its layers: Lambda's limit less 20 %, room
# for a dependency's next release or a layer a user adds (Lambda Insights, ADOT).
HEADROOM_UNZIPPED_BYTES = MAX_UNZIPPED_BYTES * 8 // 10
# The layer of the pins every function imports; the others are named after their function.
COMMON_LAYER = "common"
# Our own code (sources + bytecode; the libraries live in the layers): re-uploaded at
# every code change. 200 KB until the file isolation, the PDFium reader and the
# bounded CSV/JSON scanners came in (227 KB); 256 KB until the JSON engine's block
# reader (json_fast), the Parquet footer reader, the ranged reads of an object's ends
# and the CSV engine's exactness checks (processors/csv_engine.py) came in (about
# 320 KB); 352 KB leaves room without hiding growth.
FUNCTION_ZIP_TARGET_BYTES = 352 * 1024

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
CACHE_COMPLETE = ".complete"


class BuildError(Exception):
    """Bad input or a failed step; the message says what to fix."""


# --- target: runtime and architecture ---------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The Lambda runtime and architecture a layer is built for."""

    runtime: str
    architecture: str

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIME_PYTHON:
            raise BuildError(
                f"runtime {self.runtime!r} is not supported: use one of "
                f"{', '.join(sorted(RUNTIME_PYTHON))} (the Amazon Linux 2023 runtimes)"
            )
        if self.architecture not in ARCH_MACHINE:
            raise BuildError(
                f"architecture {self.architecture!r} is not a Lambda architecture: "
                f"use one of {', '.join(sorted(ARCH_MACHINE))}"
            )

    @property
    def python_version(self) -> str:
        return RUNTIME_PYTHON[self.runtime]

    @property
    def machine(self) -> str:
        return ARCH_MACHINE[self.architecture]

    def layer_zip_name(self, layer: str) -> str:
        return f"layer-{layer}-{self.runtime}-{self.architecture}.zip"

    @property
    def manifest_name(self) -> str:
        """What the build found: the layers, each function's and their sizes."""
        return f"layers-{self.runtime}-{self.architecture}.json"


def _strip_block_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)


def read_tfvar(text: str, name: str) -> str | None:
    """A top-level string value of a .tfvars file, or None when it is not set.

    Only plain string literals are read: tfvars hold no expressions, and
    ``terraform fmt`` puts top-level attributes at column 0, which is how a
    nested attribute of the same name is told apart.
    """
    text = _strip_block_comments(text)
    value = re.search(
        rf'^{re.escape(name)}[ \t]*=[ \t]*"([^"\\$]*)"[ \t]*(?:(?:#|//).*)?$', text, re.MULTILINE
    )
    if value:
        return value.group(1)
    if re.search(rf"^{re.escape(name)}[ \t]*=", text, re.MULTILINE):
        raise BuildError(f'{name} must be a plain quoted string, e.g. {name} = "..."')
    return None


def variable_default(text: str, name: str) -> str | None:
    """The string default of ``variable "<name>"`` in a variables.tf, or None."""
    text = _strip_block_comments(text)
    block = re.search(
        rf'^variable[ \t]+"{re.escape(name)}"[ \t]*\{{(.*?)^\}}', text, re.MULTILINE | re.DOTALL
    )
    if not block:
        return None
    default = re.search(r'^[ \t]*default[ \t]*=[ \t]*"([^"\\$]*)"', block.group(1), re.MULTILINE)
    return default.group(1) if default else None


def default_target(root: Path = REPO_ROOT) -> Target:
    """The root module's default runtime and architecture (variables.tf)."""
    variables = root / "variables.tf"
    text = variables.read_text() if variables.is_file() else ""
    return Target(
        variable_default(text, "lambda_runtime") or DEFAULT_RUNTIME,
        variable_default(text, "lambda_architecture") or DEFAULT_ARCHITECTURE,
    )


def target_for_env(env: str, root: Path = REPO_ROOT) -> Target:
    """The runtime and architecture of envs/<env>.tfvars, else the root's defaults."""
    defaults = default_target(root)
    runtime, architecture = defaults.runtime, defaults.architecture
    tfvars = root / "envs" / f"{env}.tfvars"
    if tfvars.is_file():
        text = tfvars.read_text()
        runtime = read_tfvar(text, "lambda_runtime") or runtime
        architecture = read_tfvar(text, "lambda_architecture") or architecture
    else:
        print(
            f"warning: {tfvars.relative_to(root)} not found; "
            f"building for the defaults {runtime}/{architecture}",
            file=sys.stderr,
        )
    return Target(runtime, architecture)


# --- deterministic zips -------------------------------------------------------------------


@dataclass(frozen=True)
class ZipEntry:
    """One file of a zip: its path inside the archive and where its bytes come from."""

    name: str
    source: Path
    executable: bool = False


def _directories(names: Iterable[str]) -> set[str]:
    dirs = set()
    for name in names:
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:depth]) + "/")
    return dirs


def _zip_info(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    # Unix "made by", so that Lambda's extraction applies these permissions.
    info.create_system = 3
    info.external_attr = mode << 16
    if name.endswith("/"):
        info.external_attr |= 0x10  # MS-DOS directory flag
        info.compress_type = zipfile.ZIP_STORED
    else:
        info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_zip(path: Path, entries: Sequence[ZipEntry]) -> None:
    """Write entries (and their parent directories) sorted, with fixed metadata.

    Written beside the target and renamed, so Terraform never reads half a zip.
    """
    files = {entry.name: entry for entry in entries}
    if len(files) != len(entries):
        raise BuildError(f"{path.name}: two entries share a path")
    names = sorted(_directories(files) | set(files))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in names:
            if name.endswith("/"):
                zf.writestr(_zip_info(name, 0o040755), b"")
                continue
            entry = files[name]
            mode = 0o100755 if entry.executable else 0o100644
            zf.writestr(_zip_info(name, mode), entry.source.read_bytes())
    partial.replace(path)


def base64_sha256(path: Path) -> str:
    """What Terraform's filebase64sha256() gives for the file."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def unzipped_size(path: Path) -> int:
    with zipfile.ZipFile(path) as zf:
        return sum(info.file_size for info in zf.infolist())


def describe(path: Path) -> str:
    shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    return (
        f"{shown}: {path.stat().st_size:,} bytes ({unzipped_size(path):,} unzipped), "
        f"sha256 base64 {base64_sha256(path)}"
    )


# --- reuse: a zip is rebuilt only when its inputs change ---------------------------------

# This module's own code is an input of every zip: a change to how zips are made
# rebuilds them even when the sources did not change.
BUILD_CODE_SHA256 = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def inputs_record(path: Path) -> Path:
    """``build/function.zip`` -> ``build/function.zip.inputs.json``."""
    return path.with_name(path.name + ".inputs.json")


def _recorded(path: Path) -> dict[str, Any] | None:
    try:
        record: dict[str, Any] = json.loads(inputs_record(path).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def reuse_or_build(path: Path, inputs: Mapping[str, Any], make: Callable[[], None]) -> bool:
    """``make()`` writes ``path`` unless the zip there was made from these same inputs
    (and is still the zip it was); True when it was reused.

    inputs: JSON values naming everything the zip's bytes depend on. The zip's
    own hash is checked too, so a zip edited or replaced by hand is rebuilt.
    """
    inputs = {"build_code": BUILD_CODE_SHA256, **inputs}
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    before = _recorded(path)
    unchanged = before is not None and before.get("key") == key and path.is_file()
    if unchanged and before is not None and before.get("zip_sha256") == file_sha256(path):
        print(f"{path.name}: reused, its inputs are unchanged")
        return True
    if before is not None and isinstance(before.get("inputs"), dict):
        changed = sorted(
            name
            for name in {*inputs, *before["inputs"]}
            if inputs.get(name) != before["inputs"].get(name)
        )
        what = ", ".join(changed) or "the zip itself"
        print(f"{path.name}: building, changed since the last build: {what}")
    inputs_record(path).unlink(missing_ok=True)  # no record while the zip is half made
    make()
    record = {"key": key, "zip_sha256": file_sha256(path), "inputs": inputs}
    inputs_record(path).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return False


# --- bytecode for the target runtime ---------------------------------------------------------

# Where Lambda puts the code: the path each .pyc names (co_filename, seen in
# tracebacks). The import system corrects it to the real path on load, so it only
# keeps the bytes the same on every build machine.
FUNCTION_ROOT = "/var/task"
LAYER_ROOT = "/opt"

# Run by the target interpreter: compile each [source, pyc, shown path] read from
# stdin as JSON, at optimization level 0 (Lambda runs python without -O, so it
# loads the plain .cpython-3XX.pyc); print the failures as JSON.
_COMPILE_SCRIPT = """
import json, py_compile, sys
request = json.load(sys.stdin)
mode = py_compile.PycInvalidationMode[request["mode"]]
failed = []
for source, cfile, dfile in request["files"]:
    try:
        py_compile.compile(
            source, cfile=cfile, dfile=dfile, doraise=True, optimize=0, invalidation_mode=mode
        )
    except py_compile.PyCompileError as exc:
        failed.append([source, exc.msg.strip()])
json.dump(failed, sys.stdout)
"""


@dataclass(frozen=True)
class Compiler:
    """The target runtime's Python, which writes the .pyc files its own imports accept
    (the magic number and the ``cpython-3XX`` tag change with every minor version)."""

    interpreter: str
    cache_tag: str
    version: str = ""  # sys.version: the bytes of a .pyc may change with the patch release

    def pyc_name(self, source_name: str) -> str:
        """``a/b.py`` -> ``a/__pycache__/b.cpython-312.pyc``, where the import system looks."""
        directory, filename = posixpath.split(source_name)
        stem = filename.removesuffix(".py")
        return posixpath.join(directory, "__pycache__", f"{stem}.{self.cache_tag}.pyc")


@functools.cache
def find_compiler(runtime: str) -> Compiler | None:
    """This machine's interpreter for the runtime, or None (the runner's lookup)."""
    interpreter = find_interpreter(runtime)
    if interpreter is None:
        return None
    cache_tag, version = (
        subprocess.run(
            [
                interpreter,
                "-I",
                "-c",
                "import sys; print(sys.implementation.cache_tag); print(sys.version)",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .split("\n", 1)
    )
    return Compiler(interpreter, cache_tag, version)


def compiler_for(target: Target, bytecode: bool) -> Compiler | None:
    """The compiler to use, or None with a warning when bytecode is wanted but impossible."""
    if not bytecode:
        return None
    try:
        compiler = find_compiler(target.runtime)
    except InterpreterError as exc:  # a FILEPROC_PYTHON3_X naming a wrong interpreter
        raise BuildError(str(exc)) from None
    if compiler is not None:
        print(f"bytecode: {compiler.cache_tag}, compiled by {compiler.interpreter}")
    else:
        print(
            f"warning: no Python {target.python_version} on this machine (set "
            f"{interpreter_variable(target.runtime)} to one): building WITHOUT bytecode. "
            "These zips differ from ones built with it, and every cold start compiles "
            "their code.",
            file=sys.stderr,
        )
    return compiler


def compiler_identity(compiler: Compiler | None) -> str | None:
    """What of the compiler the bytes of the .pyc depend on (None: no bytecode)."""
    return None if compiler is None else f"{compiler.cache_tag} {compiler.version}"


def compile_entries(
    compiler: Compiler,
    entries: Sequence[ZipEntry],
    root: str,
    out_dir: Path,
    *,
    mode: Literal["CHECKED_HASH", "UNCHECKED_HASH"],
    strict: bool,
) -> list[ZipEntry]:
    """The .pyc of every .py entry, compiled into out_dir, as entries beside their sources.

    strict: a file that does not compile is an error (our code); otherwise it is left
    without bytecode, as pip does for the odd file of a wheel.
    """
    sources = [entry for entry in entries if entry.name.endswith(".py")]
    names = {entry.name: compiler.pyc_name(entry.name) for entry in sources}
    files = [
        [str(entry.source), str(out_dir / names[entry.name]), f"{root}/{entry.name}"]
        for entry in sources
    ]
    # Nothing of this machine's Python settings (PYTHON* variables, site) reaches the
    # compiler, and a fixed hash seed keeps anything hash-ordered the same on every build.
    # no_debug_ranges leaves out the column tables (tracebacks still give file and line,
    # without the ^^^ markers): a function zip 12% smaller, under its 200 KB target.
    completed = subprocess.run(
        [compiler.interpreter, "-S", "-s", "-X", "no_debug_ranges", "-c", _COMPILE_SCRIPT],
        input=json.dumps({"mode": mode, "files": files}),
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0"},
        check=False,
    )
    if completed.returncode != 0:
        raise BuildError(f"compiling with {compiler.interpreter} failed: {completed.stderr}")
    failed: list[list[str]] = json.loads(completed.stdout)
    if failed and strict:
        raise BuildError("does not compile:\n  " + "\n  ".join(msg for _, msg in failed))
    if failed:
        shown = ", ".join(source for source, _ in failed[:3]) + (", ..." if failed[3:] else "")
        print(f"bytecode: {len(failed)} file(s) {compiler.cache_tag} cannot compile: {shown}")
    skipped = {source for source, _ in failed}
    return [
        ZipEntry(names[entry.name], out_dir / names[entry.name])
        for entry in sources
        if str(entry.source) not in skipped
    ]


# --- function zip ------------------------------------------------------------------------


def function_entries(src: Path = LAMBDA_SRC) -> list[ZipEntry]:
    """The package's .py files, at the zip root as ``fileproc/...``."""
    package = src / PACKAGE
    if not package.is_dir():
        raise BuildError(f"{package} does not exist")
    entries = []
    for path in package.rglob("*.py"):
        relative = path.relative_to(src)
        hidden = any(part.startswith(".") for part in relative.parts)
        if hidden or EXCLUDED_DIRS.intersection(relative.parts[:-1]):
            continue
        entries.append(ZipEntry(relative.as_posix(), path))
    names = {entry.name for entry in entries}
    missing = [role for role in HANDLER_MODULES if f"{PACKAGE}/handlers/{role}.py" not in names]
    if missing:
        raise BuildError(
            f"no handler module for {', '.join(missing)}: each function's handler is "
            f"{PACKAGE}.handlers.<role>.handler (docs/contracts.md)"
        )
    return sorted(entries, key=lambda entry: entry.name)


def build_function(
    src: Path = LAMBDA_SRC,
    out_dir: Path = BUILD_DIR,
    target: Target | None = None,
    *,
    bytecode: bool = True,
) -> Path:
    """build/function.zip: the package's sources and, with ``bytecode``, their .pyc for
    the target's runtime (the root module's default runtime when no target is given)."""
    target = target or default_target(REPO_ROOT)
    path = out_dir / "function.zip"
    entries = function_entries(src)
    compiler = compiler_for(target, bytecode)

    def make() -> None:
        sources = list(entries)
        with tempfile.TemporaryDirectory(prefix="fileproc-function-") as staging:
            if compiler is not None:
                # Checked against the source's hash at import: an edit made in the Lambda
                # console's code editor (which keeps the other files) is not shadowed by a
                # stale .pyc. The cost is reading and hashing ~40 small files.
                sources += compile_entries(
                    compiler,
                    sources,
                    FUNCTION_ROOT,
                    Path(staging),
                    mode="CHECKED_HASH",
                    strict=True,
                )
            write_zip(path, sources)

    inputs = {
        "sources": {entry.name: file_sha256(entry.source) for entry in entries},
        "compiler": compiler_identity(compiler),
    }
    reuse_or_build(path, inputs, make)
    print(describe(path))
    if path.stat().st_size > FUNCTION_ZIP_TARGET_BYTES:
        print(
            f"warning: {path.name} is over its {FUNCTION_ZIP_TARGET_BYTES // 1024} KB target: "
            "is something other than the package's code in it?",
            file=sys.stderr,
        )
    return path


# --- console zip --------------------------------------------------------------------------


def build_console(src: Path = CONSOLE_SRC, out_dir: Path = BUILD_DIR) -> Path:
    """build/console.zip: the console's handler at the root and its static files under
    ``static/``. No bytecode: one small module, compiled once per cold start in
    milliseconds, and the zip stays the same on every machine."""
    handler = src / CONSOLE_HANDLER
    if not handler.is_file():
        raise BuildError(f"{handler} does not exist")
    static = sorted(
        p for p in (src / "static").iterdir() if p.is_file() and not p.name.startswith(".")
    )
    if not any(p.name == "index.html" for p in static):
        raise BuildError(f"{src / 'static'} has no index.html")
    entries = [ZipEntry(CONSOLE_HANDLER, handler)]
    entries += [ZipEntry(f"static/{p.name}", p) for p in static]
    path = out_dir / "console.zip"
    write_zip(path, entries)
    print(describe(path))
    return path


# --- layer: pins, wheels, install ----------------------------------------------------------


FUNCTIONS = frozenset(HANDLER_MODULES)
# "# [functions: image document]": the functions that import the pins below it.
_SECTION = re.compile(r"#\s*\[functions:\s*([^\]]*)\]\s*$")


@dataclass(frozen=True)
class Pin:
    """One ``name[extras]==version`` line of requirements.txt, and the functions whose
    code imports it (its section's)."""

    name: NormalizedName
    version: Version
    extras: frozenset[str]
    functions: frozenset[str] = FUNCTIONS

    def __str__(self) -> str:
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        return f"{self.name}{extras}=={self.version}"


def _section(text: str, where: str) -> frozenset[str]:
    names = text.replace(",", " ").split()
    if names == ["all"]:
        return FUNCTIONS
    unknown = sorted(set(names) - FUNCTIONS)
    if unknown or not names:
        raise BuildError(
            f"{where}: a section names the functions that import its pins: 'all' or some "
            f"of {', '.join(HANDLER_MODULES)} (got {text.strip()!r})"
        )
    return frozenset(names)


def read_requirements(path: Path) -> list[Pin]:
    """Exact pins only: the layers install them without resolving (--no-deps).

    A ``# [functions: ...]`` line starts a section: the pins under it are imported by
    those functions. Pins before any section serve every function.
    """
    pins: dict[NormalizedName, Pin] = {}
    functions = FUNCTIONS
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        where = f"{path.name}:{number}"
        section = _SECTION.match(raw.strip())
        if section:
            functions = _section(section.group(1), where)
            continue
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-"):
            raise BuildError(f"{where}: pip options are not supported, only name==version pins")
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:
            raise BuildError(f"{where}: {exc}") from exc
        specifiers = list(requirement.specifier)
        exact = len(specifiers) == 1 and specifiers[0].operator == "=="
        if requirement.url or requirement.marker or not exact or "*" in specifiers[0].version:
            raise BuildError(f"{where}: {line!r} must be an exact pin, name==version")
        name = canonicalize_name(requirement.name)
        if name in RUNTIME_PROVIDED:
            raise BuildError(f"{where}: {name} comes with the Lambda runtime; remove it")
        if name in pins:
            raise BuildError(f"{where}: {name} is pinned twice")
        pins[name] = Pin(
            name, Version(specifiers[0].version), frozenset(requirement.extras), functions
        )
    if not pins:
        raise BuildError(f"{path} pins nothing")
    return sorted(pins.values(), key=lambda pin: pin.name)


def plan_layers(pins: Sequence[Pin]) -> dict[str, list[Pin]]:
    """The layers and their pins: ``common`` (what every function imports), then one per
    function with pins of its own. A pin two functions share goes into both of their
    layers: two layers a function at most, whatever the sections, leaving Lambda's
    other three for the user's (extensions, monitoring)."""
    layers = {COMMON_LAYER: [pin for pin in pins if pin.functions == FUNCTIONS]}
    for function in HANDLER_MODULES:
        layers[function] = [
            pin for pin in pins if function in pin.functions and pin.functions != FUNCTIONS
        ]
    return {name: layer_pins for name, layer_pins in layers.items() if layer_pins}


def function_layers(layers: Mapping[str, object]) -> dict[str, list[str]]:
    """The layers of each function, in the order Lambda applies them (modules/compute
    gives each function ``common`` and the layer named after it, when they exist)."""
    return {
        function: [name for name in (COMMON_LAYER, function) if name in layers]
        for function in HANDLER_MODULES
    }


def platform_tags(machine: str) -> list[str]:
    """Every manylinux tag the runtime's glibc accepts, most specific first.

    pip prefers earlier tags when a release ships several wheels; the legacy
    manylinux2014 name also lets pip accept manylinux2010/manylinux1 wheels.
    """
    modern = [f"manylinux_2_{minor}_{machine}" for minor in range(GLIBC_MINOR, 16, -1)]
    return [*modern, f"manylinux2014_{machine}"]


def wheel_cache_dir(cache_root: Path, pins: Sequence[Pin], target: Target) -> Path:
    key_text = "\n".join([target.runtime, target.architecture, *(str(pin) for pin in pins)])
    key = hashlib.sha256(key_text.encode()).hexdigest()[:16]
    return cache_root / f"{target.runtime}-{target.architecture}-{key}"


def download_wheels(
    pins: Sequence[Pin], target: Target, cache_root: Path, pip_args: Sequence[str] = ()
) -> Path:
    """A directory with a wheel for every pin, downloaded once per cache key."""
    cache = wheel_cache_dir(cache_root, pins, target)
    if (cache / CACHE_COMPLETE).is_file():
        print(f"wheels: cached in {cache}")
        return cache
    cache_root.mkdir(parents=True, exist_ok=True)
    # Download into a scratch directory and rename: an interrupted download
    # never leaves a cache entry that looks complete.
    with tempfile.TemporaryDirectory(dir=cache_root, prefix=".download-") as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text("".join(f"{pin}\n" for pin in pins))
        wheels = Path(scratch) / "wheels"
        abi = "cp" + target.python_version.replace(".", "")
        command = [
            sys.executable, "-m", "pip", "download",
            "--quiet", "--disable-pip-version-check", "--progress-bar", "off",
            "--no-deps", "--only-binary=:all:",
            "--implementation", "cp", "--python-version", target.python_version, "--abi", abi,
            *(arg for tag in platform_tags(target.machine) for arg in ("--platform", tag)),
            "--dest", str(wheels), "--requirement", str(requirements), *pip_args,
        ]  # fmt: skip
        print(f"wheels: downloading for {target.runtime} {target.machine} into {cache}")
        if subprocess.run(command, check=False).returncode != 0:
            raise BuildError(
                "pip download failed (above): it needs PyPI, or a pin has no wheel for "
                f"cp{abi[2:]} manylinux {target.machine}; nothing was cached"
            )
        (wheels / CACHE_COMPLETE).write_text("".join(f"{pin}\n" for pin in pins))
        if (cache / CACHE_COMPLETE).is_file():
            return cache  # a concurrent build finished first; its wheels are the same pins
        if cache.exists():
            shutil.rmtree(cache)  # no marker: not a download this tool finished
        wheels.rename(cache)
    return cache


def select_wheels(cache: Path, pins: Sequence[Pin]) -> dict[NormalizedName, Path]:
    """Exactly one wheel per pin, whatever else the directory holds."""
    found: dict[tuple[NormalizedName, Version], list[Path]] = {}
    for wheel in sorted(cache.glob("*.whl")):
        try:
            name, version, _build, _tags = parse_wheel_filename(wheel.name)
        except InvalidWheelFilename as exc:
            raise BuildError(f"{wheel}: {exc}") from exc
        found.setdefault((name, version), []).append(wheel)
    selected = {}
    for pin in pins:
        wheels = found.get((pin.name, pin.version), [])
        if len(wheels) != 1:
            raise BuildError(
                f"{cache} holds {len(wheels)} wheels for {pin}, expected 1: "
                "delete that directory and build again"
            )
        selected[pin.name] = wheels[0]
    return selected


def marker_environment(target: Target) -> dict[str, str]:
    """PEP 508 marker values of the Lambda runtime (not of the build machine)."""
    full_version = f"{target.python_version}.0"
    return {
        "implementation_name": "cpython",
        "implementation_version": full_version,
        "os_name": "posix",
        "platform_machine": target.machine,
        "platform_python_implementation": "CPython",
        "platform_system": "Linux",
        "python_full_version": full_version,
        "python_version": target.python_version,
        "sys_platform": "linux",
    }


def requires_dist(wheel: Path) -> list[Requirement]:
    with WheelFile.open(wheel) as source:
        metadata = HeaderParser().parsestr(source.read_dist_info("METADATA"))
    return [Requirement(line) for line in metadata.get_all("Requires-Dist") or []]


def check_closure(
    pins: Sequence[Pin],
    wheels: dict[NormalizedName, Path],
    target: Target,
    function: str | None = None,
) -> None:
    """Every dependency of every pin (for this runtime) is pinned at a fitting version,
    for ``function`` when given (its layers hold only the pins of its sections).

    The layers are installed with --no-deps so that nothing unpinned (botocore,
    via aws-xray-sdk) slips in; this is what keeps that from missing a package.
    """
    where = "requirements.txt" if function is None else f"a section of the {function} function"
    environment = marker_environment(target)
    pinned = {pin.name: pin for pin in pins}
    pending = [(pin.name, pin.extras) for pin in pins]
    seen: set[tuple[NormalizedName, frozenset[str]]] = set()
    problems = []
    while pending:
        name, extras = pending.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        for requirement in requires_dist(wheels[name]):
            marker = requirement.marker
            if marker and not any(
                marker.evaluate({**environment, "extra": extra}) for extra in ("", *extras)
            ):
                continue
            dependency = canonicalize_name(requirement.name)
            if dependency in RUNTIME_PROVIDED:
                continue
            if dependency not in pinned:
                problems.append(f"{name} needs {requirement}: pin it in {where}")
                continue
            version = pinned[dependency].version
            if not requirement.specifier.contains(version, prereleases=True):
                problems.append(
                    f"{name} needs {requirement}, but {dependency}=={version} is pinned"
                )
            pending.append((dependency, frozenset(requirement.extras)))
    if problems:
        raise BuildError("the pins are not a complete set:\n  " + "\n  ".join(sorted(problems)))


def install_wheels(wheels: Iterable[Path], target: Target, staging: Path) -> Path:
    """Install the wheels into staging/python, as the layer's /opt/python."""
    site = staging / "python"
    destination = SchemeDictionaryDestination(
        scheme_dict={
            "purelib": str(site),
            "platlib": str(site),
            # Console scripts, headers and data files are of no use to a function
            # and stay out of the zip; scripts name Lambda's own interpreter so that
            # the RECORD files (which hash them) match on every build machine.
            "scripts": str(staging / "scripts"),
            "headers": str(staging / "headers"),
            "data": str(staging / "data"),
        },
        interpreter=f"/var/lang/bin/{target.runtime}",
        script_kind="posix",
        bytecode_optimization_levels=(),
    )
    for wheel in wheels:
        with WheelFile.open(wheel) as source:
            source.validate_record()
            install(source, destination, additional_metadata={"INSTALLER": b"fileproc-build\n"})
    return site


def check_elf_machine(root: Path, machine: str) -> None:
    """Every ELF file (extension modules, vendored .so) is built for the target machine."""
    wrong = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        with path.open("rb") as handle:
            header = handle.read(20)
        if len(header) < 20 or header[:4] != b"\x7fELF":
            continue
        byteorder: Literal["little", "big"] = "little" if header[5] == 1 else "big"
        if int.from_bytes(header[18:20], byteorder) != ELF_MACHINE[machine]:
            wrong.append(str(path.relative_to(root)))
    if wrong:
        raise BuildError(f"not built for {machine}: {', '.join(wrong)}")


def layer_entries(site: Path) -> list[ZipEntry]:
    entries = []
    for path in site.rglob("*"):
        relative = path.relative_to(site.parent)
        if not path.is_file() or "__pycache__" in relative.parts or path.suffix == ".pyc":
            continue
        executable = bool(path.stat().st_mode & 0o111)
        entries.append(ZipEntry(relative.as_posix(), path, executable))
    return sorted(entries, key=lambda entry: entry.name)


def build_layer(
    target: Target,
    name: str,
    pins: Sequence[Pin],
    wheels: Callable[[], dict[NormalizedName, Path]],
    out_dir: Path = BUILD_DIR,
    pip_args: Sequence[str] = (),
    *,
    bytecode: bool = True,
) -> Path:
    """build/layer-<name>-<runtime>-<architecture>.zip with these pins' wheels (``wheels()``
    downloads them only when the zip must be made), with the .pyc of the runtime's
    Python when ``bytecode``."""
    path = out_dir / target.layer_zip_name(name)
    compiler = compiler_for(target, bytecode)

    def make() -> None:
        selected = wheels()
        with tempfile.TemporaryDirectory(prefix="fileproc-layer-") as staging:
            site = install_wheels((selected[pin.name] for pin in pins), target, Path(staging))
            check_elf_machine(site, target.machine)
            entries = layer_entries(site)
            if compiler is not None:
                # Unchecked: a layer version never changes, so the import need not read
                # and hash every source to trust its .pyc.
                entries += compile_entries(
                    compiler,
                    entries,
                    LAYER_ROOT,
                    Path(staging) / "bytecode",
                    mode="UNCHECKED_HASH",
                    strict=False,
                )
            write_zip(path, entries)

    # The pins, not the file's bytes: a comment or a reordering changes nothing.
    # A pin's wheels never change on PyPI, so pins, target and pip's arguments
    # (where the wheels come from) name the layer's contents.
    inputs = {
        "pins": [str(pin) for pin in pins],
        "target": [target.runtime, target.architecture],
        "pip_args": list(pip_args),
        "compiler": compiler_identity(compiler),
    }
    reuse_or_build(path, inputs, make)
    print(describe(path))
    if path.stat().st_size > MAX_DIRECT_UPLOAD_BYTES:
        raise BuildError(f"{path.name} is over Lambda's 50 MB limit for a directly uploaded zip")
    return path


def build_layers(
    target: Target,
    requirements: Path = REQUIREMENTS,
    out_dir: Path = BUILD_DIR,
    cache_root: Path | None = None,
    pip_args: Sequence[str] = (),
    *,
    bytecode: bool = True,
) -> dict[str, Path]:
    """Every layer of the requirements' sections (plan_layers), by name. The wheels are
    downloaded once for all of them, and checked complete for every function."""
    pins = read_requirements(requirements)
    layers = plan_layers(pins)

    @functools.cache
    def wheels() -> dict[NormalizedName, Path]:
        cache = download_wheels(pins, target, cache_root or out_dir / "wheels", pip_args)
        selected = select_wheels(cache, pins)
        for function in HANDLER_MODULES:
            used = [pin for pin in pins if function in pin.functions]
            check_closure(used, selected, target, None if len(layers) == 1 else function)
        return selected

    return {
        name: build_layer(target, name, layer_pins, wheels, out_dir, pip_args, bytecode=bytecode)
        for name, layer_pins in layers.items()
    }


# --- every function within Lambda's size limit ---------------------------------------------


@dataclass(frozen=True)
class FunctionSize:
    """What one function unzips to on Lambda: its code and each of its layers, in bytes."""

    function: str
    code: int
    layers: dict[str, int]

    @property
    def total(self) -> int:
        return self.code + sum(self.layers.values())

    def describe(self) -> str:
        parts = [f"code {_mb(self.code)}"] + [f"{n} {_mb(b)}" for n, b in self.layers.items()]
        return f"{self.function}: {_mb(self.total)} unzipped ({' + '.join(parts)})"


def _mb(size: int) -> str:
    return f"{size / 1024**2:.1f} MB"


def function_sizes(function_zip: Path, layers: Mapping[str, Path]) -> list[FunctionSize]:
    code = unzipped_size(function_zip)
    unzipped = {name: unzipped_size(path) for name, path in layers.items()}
    return [
        FunctionSize(function, code, {name: unzipped[name] for name in names})
        for function, names in function_layers(layers).items()
    ]


def check_function_sizes(
    function_zip: Path, layers: Mapping[str, Path], target: Target, out_dir: Path = BUILD_DIR
) -> list[FunctionSize]:
    """Each function's code plus its layers, unzipped, within HEADROOM_UNZIPPED_BYTES
    (Lambda refuses more than MAX_UNZIPPED_BYTES at deploy time, after the build).
    Writes build/layers-<runtime>-<architecture>.json, then fails naming every
    function over the limit."""
    sizes = function_sizes(function_zip, layers)
    manifest = {
        "target": [target.runtime, target.architecture],
        "limit_bytes": MAX_UNZIPPED_BYTES,
        "headroom_limit_bytes": HEADROOM_UNZIPPED_BYTES,
        "layers": {
            name: {
                "zip": path.name,
                "zip_bytes": path.stat().st_size,
                "unzipped_bytes": unzipped_size(path),
            }
            for name, path in layers.items()
        },
        "functions": {
            size.function: {
                "layers": list(size.layers),
                "code_bytes": size.code,
                "unzipped_bytes": size.total,
            }
            for size in sizes
        },
    }
    (out_dir / target.manifest_name).write_text(json.dumps(manifest, indent=1) + "\n")
    limit = f"{_mb(HEADROOM_UNZIPPED_BYTES)} (Lambda's {_mb(MAX_UNZIPPED_BYTES)} less 20 %)"
    for size in sizes:
        print(f"{size.describe()}, limit {_mb(HEADROOM_UNZIPPED_BYTES)}")
    over = [size for size in sizes if size.total > HEADROOM_UNZIPPED_BYTES]
    if over:
        raise BuildError(
            f"over the {limit} a function and its layers may unzip to:\n  "
            + "\n  ".join(size.describe() for size in over)
            + "\nmove what only some functions import into their own section of "
            "lambda_src/requirements.txt, or choose a smaller engine"
        )
    return sizes


# --- command line ------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m fileproc_tools.build",
        description="Build build/function.zip, build/console.zip and the layers, "
        "build/layer-<layer>-<runtime>-<architecture>.zip; check each function's size.",
    )
    parser.add_argument(
        "--env", help="read lambda_runtime and lambda_architecture from envs/<env>.tfvars"
    )
    parser.add_argument("--runtime", help=f"Lambda runtime (default {DEFAULT_RUNTIME})")
    parser.add_argument(
        "--architecture", help=f"Lambda architecture (default {DEFAULT_ARCHITECTURE})"
    )
    parser.add_argument(
        "--function-only", action="store_true", help="skip the layers and the size check"
    )
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="ship sources only (every cold start then compiles them)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        target = target_for_env(args.env, REPO_ROOT) if args.env else default_target(REPO_ROOT)
        target = Target(args.runtime or target.runtime, args.architecture or target.architecture)
        bytecode = not args.no_bytecode
        function_zip = build_function(LAMBDA_SRC, BUILD_DIR, target, bytecode=bytecode)
        build_console(CONSOLE_SRC, BUILD_DIR)
        if not args.function_only:
            layers = build_layers(target, REQUIREMENTS, BUILD_DIR, bytecode=bytecode)
            check_function_sizes(function_zip, layers, target, BUILD_DIR)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
