"""make build: deterministic zips, the tfvars reader, pins, and the layer's platform wheels.

The layer tests install tiny wheels made here, through a real `pip download`
from a local directory (no network): they prove the platform/Python selection,
the wheel install, the checks and the determinism, not that PyPI has the real
pins. The one test that builds the real layer is marked slow and skipped when
neither PyPI nor a cached download is available.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fileproc_sandbox import lambda_runner
from fileproc_tools import build
from fileproc_tools.build import BuildError, Target
from fileproc_tools.inprocess import function_environment
from fileproc_tools.tfconfig import REPO_ROOT

# --- helpers ------------------------------------------------------------------------------


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


def elf_header(machine: int) -> bytes:
    # ELF64, little endian; e_machine sits at offset 18.
    return b"\x7fELF\x02\x01\x01" + bytes(11) + machine.to_bytes(2, "little") + bytes(44)


def elf_machine(data: bytes) -> int:
    assert data[:4] == b"\x7fELF"
    return int.from_bytes(data[18:20], "little")


def runtime_compiler(runtime: str = "python3.12") -> build.Compiler:
    """The machine's interpreter for the runtime; the test is skipped without one."""
    compiler = build.find_compiler(runtime)
    if compiler is None:
        pytest.skip(f"no {runtime} interpreter on this machine")
    return compiler


# PEP 552: the .pyc's second word. Bit 0: hash-based (no mtime); bit 1: checked.
PYC_CHECKED_HASH = 0b11
PYC_UNCHECKED_HASH = 0b01


def pyc_flags(data: bytes) -> int:
    return int.from_bytes(data[4:8], "little")


def unzip_read_only(path: Path, target: Path) -> Path:
    """Unpacked as Lambda has it: nobody may write bytecode next to the code."""
    with zipfile.ZipFile(path) as zf:
        zf.extractall(target)
    for item in [target, *target.rglob("*")]:
        item.chmod(0o555 if item.is_dir() else 0o444)
    return target


def loaded_from(interpreter: str, code_dir: Path, modules: str) -> dict[str, str]:
    """How the interpreter got each of code_dir's modules that ``import modules`` loads:
    "bytecode" (a .pyc it accepted) or "source" (compiled there and then)."""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(code_dir)}
    result = subprocess.run(
        [interpreter, "-v", "-c", f"import {modules}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    how = {}
    for line in result.stderr.splitlines():
        if line.startswith("# ") and " matches " in line:
            how[line.split(" matches ")[1]] = "bytecode"
        elif line.startswith("# code object from ") and line.endswith(".py"):
            how[line.removeprefix("# code object from ")] = "source"
    root = str(code_dir) + "/"
    return {path.removeprefix(root): kind for path, kind in how.items() if path.startswith(root)}


def make_wheel(
    wheelhouse: Path,
    name: str,
    version: str,
    tag: str,
    files: dict[str, bytes],
    requires: tuple[str, ...] = (),
    entry_points: str = "",
) -> Path:
    """A minimal valid wheel: the files, METADATA, WHEEL and a RECORD with hashes."""
    dist_info = f"{name}-{version}.dist-info"
    contents = dict(files)
    contents[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        + "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    ).encode()
    purelib = "true" if tag.endswith("-none-any") else "false"
    contents[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: {purelib}\nTag: {tag}\n"
    ).encode()
    if entry_points:
        contents[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    record = []
    for path, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}\n")
    record.append(f"{dist_info}/RECORD,,\n")
    contents[f"{dist_info}/RECORD"] = "".join(record).encode()
    wheel = wheelhouse / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in contents.items():
            zf.writestr(path, data)
    return wheel


def native_wheel(wheelhouse: Path, python: str, machine: str, elf: int | None = None) -> None:
    abi = f"cp{python.replace('.', '')}"
    make_wheel(
        wheelhouse,
        "nativepkg",
        "1.0",
        f"{abi}-{abi}-manylinux_2_17_{machine}",
        {
            "nativepkg/__init__.py": f"BUILT_FOR = '{abi}-{machine}'\n".encode(),
            f"nativepkg/_speed.{abi}-{machine}-linux-gnu.so": elf_header(
                elf if elf is not None else build.ELF_MACHINE[machine]
            ),
        },
    )


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of one native package for several platforms, plus pure ones that depend on it."""
    house = tmp_path_factory.mktemp("wheelhouse")
    for python in ("3.12", "3.13"):
        for machine in ("aarch64", "x86_64"):
            native_wheel(house, python, machine)
    # A wheel for the build machine's kind of platform that the layer must never get.
    make_wheel(
        house,
        "nativepkg",
        "1.0",
        "cp312-cp312-macosx_11_0_arm64",
        {"nativepkg/__init__.py": b"BUILT_FOR = 'macos'\n"},
    )
    make_wheel(
        house,
        "purepkg",
        "2.0",
        "py3-none-any",
        {
            "purepkg/__init__.py": b"",
            "purepkg-2.0.data/purelib/purepkg/spread.py": b"SPREAD = True\n",
            "purepkg-2.0.data/scripts/purepkg-tool": b"#!python\nprint('tool')\n",
        },
        requires=(
            "nativepkg>=1.0",
            "boto3>=1.20",  # comes with the runtime: needs no pin
            'oldpkg>=1; python_version < "3.10"',  # not for this runtime
            'fancypkg>=1; extra == "fancy"',  # an extra nobody asked for
        ),
        entry_points="[console_scripts]\npurepkg = purepkg:main\n",
    )
    make_wheel(
        house,
        "needsnew",
        "1.0",
        "py3-none-any",
        {"needsnew/__init__.py": b""},
        requires=("nativepkg>=2",),
    )
    make_wheel(
        house,
        "mislabeled",
        "1.0",
        "cp312-cp312-manylinux_2_17_aarch64",
        {"mislabeled/_core.so": elf_header(build.ELF_MACHINE["x86_64"])},
    )
    make_wheel(
        house,
        "oldsyntax",
        "1.0",
        "py2.py3-none-any",
        {"oldsyntax/__init__.py": b"", "oldsyntax/py2.py": b"print 'old'\n"},
    )
    make_wheel(
        house,
        "maconly",
        "1.0",
        "cp312-cp312-macosx_11_0_arm64",
        {"maconly/__init__.py": b""},
    )
    return house


LayerBuilder = Callable[..., Path]


@pytest.fixture
def build_test_layer(tmp_path: Path, wheelhouse: Path) -> LayerBuilder:
    """build_layer over the local wheelhouse, with its own output and cache directories."""

    def run(
        target: Target,
        pins: str = "nativepkg==1.0\npurepkg==2.0\n",
        out: str = "out",
        cache: str = "cache",
        wheels_from: Path = wheelhouse,
        bytecode: bool = True,
    ) -> Path:
        requirements = tmp_path / "requirements.txt"
        requirements.write_text(pins)
        layers = build.build_layers(
            target,
            requirements,
            out_dir=tmp_path / out,
            cache_root=tmp_path / cache,
            pip_args=["--no-index", "--find-links", str(wheels_from)],
            bytecode=bytecode,
        )
        assert list(layers) == ["common"]  # pins before any section serve every function
        return layers["common"]

    return run


# --- function zip -------------------------------------------------------------------------

HANDLERS = [f"fileproc/handlers/{role}.py" for role in build.HANDLER_MODULES]


@pytest.fixture
def source_tree(tmp_path: Path) -> Path:
    """A lambda_src/ with the handlers and the kinds of stray files a checkout collects."""
    src = tmp_path / "lambda_src"
    files = {
        "fileproc/__init__.py": "",
        "fileproc/config.py": "LIMIT = 1\n",
        **dict.fromkeys(HANDLERS, "def handler(event, context):\n    return None\n"),
        "fileproc/handlers/__init__.py": "",
        "fileproc/__pycache__/config.cpython-311.pyc": "stale",
        "fileproc/tests/test_config.py": "def test(): pass\n",
        "fileproc/notes.txt": "scratch",
        "fileproc/.hidden.py": "",
        "requirements.txt": "pillow==13.0.0\n",
    }
    for name, text in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    return src


def test_function_zip_holds_only_the_package_code(source_tree: Path, tmp_path: Path) -> None:
    path = build.build_function(source_tree, tmp_path / "out", bytecode=False)
    assert path == tmp_path / "out" / "function.zip"
    files = [name for name in zip_names(path) if not name.endswith("/")]
    expected = ["fileproc/__init__.py", "fileproc/config.py", "fileproc/handlers/__init__.py"]
    assert files == sorted([*expected, *HANDLERS])


def test_function_zip_has_the_runtime_bytecode_of_each_source(
    source_tree: Path, tmp_path: Path
) -> None:
    compiler = runtime_compiler("python3.12")
    path = build.build_function(source_tree, tmp_path / "out", Target("python3.12", "arm64"))
    files = layer_files(path)
    sources = sorted(name for name in files if name.endswith(".py"))
    assert sorted(name for name in files if name.endswith(".pyc")) == sorted(
        compiler.pyc_name(name) for name in sources
    )
    assert "fileproc/__pycache__/config.cpython-312.pyc" in files
    assert len(files) == 2 * len(sources)  # the stale 3.11 .pyc of the checkout stays out
    # Checked against the source: an edit in the Lambda console is not shadowed.
    assert {pyc_flags(data) for name, data in files.items() if name.endswith(".pyc")} == {
        PYC_CHECKED_HASH
    }


def test_function_zip_bytecode_is_for_the_target_runtime(source_tree: Path, tmp_path: Path) -> None:
    compiler = runtime_compiler("python3.13")
    path = build.build_function(source_tree, tmp_path / "out", Target("python3.13", "arm64"))
    assert compiler.cache_tag == "cpython-313"
    assert "fileproc/__pycache__/config.cpython-313.pyc" in zip_names(path)
    assert not [name for name in zip_names(path) if "cpython-312" in name]


def test_the_runtime_python_imports_the_function_zip_from_its_bytecode(tmp_path: Path) -> None:
    """Unpacked read-only, as in /var/task: the interpreter accepts every .pyc and
    compiles nothing."""
    compiler = runtime_compiler("python3.12")
    path = build.build_function(build.LAMBDA_SRC, tmp_path, Target("python3.12", "x86_64"))
    code = unzip_read_only(path, tmp_path / "task")
    # Modules without third-party imports: the layer is not on this path.
    how = loaded_from(compiler.interpreter, code, "fileproc.config, fileproc.processors.textstats")
    assert how == {
        "fileproc/__init__.py": "bytecode",
        "fileproc/config.py": "bytecode",
        "fileproc/keys.py": "bytecode",
        "fileproc/processors/__init__.py": "bytecode",
        "fileproc/processors/textstats.py": "bytecode",
    }


def test_the_sandbox_runner_runs_the_function_zip_from_its_bytecode(tmp_path: Path) -> None:
    """The sandbox's Lambda service unpacks the deployed zip (its CodeCache) and starts
    the runtime's Python on it (a Worker): the .pyc shipped in the zip are what it loads."""
    runtime_compiler("python3.12")
    path = build.build_function(build.LAMBDA_SRC, tmp_path / "out", Target("python3.12", "x86_64"))
    sha = build.base64_sha256(path)
    code_dir = lambda_runner.CodeCache(tmp_path / "code").unpacked(path.as_uri(), sha)
    config = lambda_runner.FunctionConfig(
        name="fn",
        arn="arn:aws:lambda:us-east-1:123456789012:function:fn",
        region="us-east-1",
        runtime="python3.12",
        handler="fileproc.keys.is_file_id",  # imports fileproc and fileproc.keys, no layer
        timeout=5,
        memory_mb=128,
        environment={"PYTHONVERBOSE": "1"},  # the import system says where code came from
        code_sha256=sha,
        code_location=path.as_uri(),
        layers=(),
        log_group="/aws/lambda/fn",
    )
    setup = lambda_runner.WorkerSetup(
        interpreter=lambda_runner.Runtimes(tmp_path).interpreter("python3.12"),
        code_dir=code_dir,
        layer_dirs=[],
        sdk_dir=tmp_path / "sdk",
        endpoint="http://127.0.0.1:1",
        tmp_root=tmp_path / "tmp",
    )
    lines: list[str] = []
    lambda_runner.Worker(config, setup, lambda _config, _stream, line: lines.append(line)).stop()
    expected = f"# {code_dir}/fileproc/__pycache__/keys.cpython-312.pyc matches"
    for _ in range(100):  # the log pump is a thread: let it reach the end of the output
        if any(line.startswith(expected) for line in lines):
            break
        threading.Event().wait(0.1)
    assert any(line.startswith(expected) for line in lines), "".join(lines)[-3000:]
    compiled_here = f"# code object from {code_dir}/"
    assert not [line for line in lines if line.startswith(compiled_here)]


def test_edited_function_source_is_compiled_again(tmp_path: Path) -> None:
    """The console's editor changes a .py and keeps the rest of the zip: the checked
    .pyc then no longer matches, and the edit is what runs."""
    compiler = runtime_compiler("python3.12")
    path = build.build_function(build.LAMBDA_SRC, tmp_path, Target("python3.12", "x86_64"))
    code = unzip_read_only(path, tmp_path / "task")
    edited = code / "fileproc" / "keys.py"
    edited.chmod(0o644)
    edited.write_text(edited.read_text() + "\nEDITED = True\n")
    how = loaded_from(compiler.interpreter, code, "fileproc.config")
    assert how == {
        "fileproc/__init__.py": "bytecode",
        "fileproc/config.py": "bytecode",
        "fileproc/keys.py": "source",
    }


def test_function_zip_entries_are_sorted_with_fixed_metadata(
    source_tree: Path, tmp_path: Path
) -> None:
    path = build.build_function(source_tree, tmp_path / "out")
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    assert [info.filename for info in infos] == sorted(info.filename for info in infos)
    assert {"fileproc/", "fileproc/handlers/"} <= {info.filename for info in infos}
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.create_system == 3
        expected = 0o040755 if info.is_dir() else 0o100644
        assert info.external_attr >> 16 == expected, info.filename


def test_function_zip_is_byte_identical_across_builds_and_touches(
    source_tree: Path, tmp_path: Path
) -> None:
    first = build.build_function(source_tree, tmp_path / "a").read_bytes()
    assert build.build_function(source_tree, tmp_path / "b").read_bytes() == first

    config = source_tree / "fileproc" / "config.py"
    os.utime(config, (1_900_000_000, 1_900_000_000))
    config.chmod(0o755)
    assert build.build_function(source_tree, tmp_path / "c").read_bytes() == first

    config.write_text("LIMIT = 2\n")
    assert build.build_function(source_tree, tmp_path / "d").read_bytes() != first


def test_function_zip_bytecode_is_the_same_wherever_it_is_built(
    source_tree: Path, tmp_path: Path
) -> None:
    """The .pyc name the runtime's path, not the build machine's, and carry no mtime."""
    runtime_compiler("python3.12")
    first = build.build_function(source_tree, tmp_path / "a")
    assert [name for name in zip_names(first) if name.endswith(".pyc")]
    elsewhere = shutil.copytree(source_tree, tmp_path / "another" / "checkout")
    os.utime(elsewhere / "fileproc" / "config.py", (1_000_000_000, 1_000_000_000))
    assert build.build_function(elsewhere, tmp_path / "b").read_bytes() == first.read_bytes()


def test_without_the_runtime_python_the_build_has_no_bytecode_and_says_so(
    source_tree: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sources_only = build.build_function(source_tree, tmp_path / "a", bytecode=False).read_bytes()
    monkeypatch.setattr(build, "find_interpreter", lambda runtime: None)
    build.find_compiler.cache_clear()
    try:
        path = build.build_function(source_tree, tmp_path / "b", Target("python3.12", "arm64"))
    finally:
        build.find_compiler.cache_clear()
    assert not [name for name in zip_names(path) if name.endswith(".pyc")]
    assert path.read_bytes() == sources_only
    warning = capsys.readouterr().err
    assert "no Python 3.12 on this machine (set FILEPROC_PYTHON3_12" in warning
    assert "WITHOUT bytecode" in warning
    assert "differ from ones built with it" in warning


def test_function_code_that_does_not_compile_fails_the_build(
    source_tree: Path, tmp_path: Path
) -> None:
    runtime_compiler("python3.12")
    (source_tree / "fileproc" / "config.py").write_text("def broken(:\n")
    with pytest.raises(BuildError, match=r"does not compile:\n.*config.py"):
        build.build_function(source_tree, tmp_path / "out")
    assert not (tmp_path / "out" / "function.zip").exists()


def test_function_zip_needs_every_handler(source_tree: Path, tmp_path: Path) -> None:
    (source_tree / "fileproc" / "handlers" / "api.py").unlink()
    with pytest.raises(BuildError, match=r"no handler module for api"):
        build.build_function(source_tree, tmp_path / "out")
    assert not (tmp_path / "out" / "function.zip").exists()


def test_build_prints_size_and_terraform_hash(
    source_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = build.build_function(source_tree, tmp_path / "out")
    expected = base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()
    printed = capsys.readouterr().out
    assert f"{path.stat().st_size:,} bytes" in printed
    assert f"sha256 base64 {expected}" in printed


def test_real_function_zip_has_the_handlers_and_fits_its_target(tmp_path: Path) -> None:
    """With its bytecode: the .pyc files make up most of the zip."""
    compiler = runtime_compiler("python3.12")
    path = build.build_function(build.LAMBDA_SRC, tmp_path, Target("python3.12", "arm64"))
    names = zip_names(path)
    assert set(HANDLERS) <= set(names)
    assert all(name.startswith("fileproc/") for name in names)
    sources = [name for name in names if name.endswith(".py")]
    compiled = [name for name in names if name.endswith(".pyc")]
    assert compiled == sorted(compiler.pyc_name(name) for name in sources)
    assert len(sources) + len(compiled) == len([name for name in names if not name.endswith("/")])
    assert not [name for name in names if "/tests/" in name]
    assert path.stat().st_size <= build.FUNCTION_ZIP_TARGET_BYTES


def test_real_function_zip_imports_every_handler_from_the_zip(tmp_path: Path) -> None:
    """Lambda imports the handlers from the zip root; so does this (the layer's
    packages come from the test environment)."""
    path = build.build_function(build.LAMBDA_SRC, tmp_path)
    probe = (
        "import importlib, fileproc\n"
        f"assert fileproc.__file__.startswith({str(path)!r}), fileproc.__file__\n"
        f"for role in {build.HANDLER_MODULES!r}:\n"
        "    module = importlib.import_module(f'fileproc.handlers.{role}')\n"
        "    assert callable(module.handler), role\n"
    )
    # The handlers read their settings at import: the variables modules/compute sets.
    function_env = function_environment(bucket="b", table="t", environment="test")
    env = {**os.environ, **function_env, "PYTHONPATH": str(path)}
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --- target: tfvars and defaults ------------------------------------------------------------


def test_read_tfvar_reads_top_level_strings_only() -> None:
    text = (
        '# lambda_runtime = "python3.11"\n'
        '/* lambda_architecture = "x86_64"\n*/\n'
        'environment         = "dev"\n'
        'lambda_runtime      = "python3.13" # newest\n'
        "functions = {\n"
        '  lambda_architecture = "x86_64"\n'
        "}\n"
    )
    assert build.read_tfvar(text, "lambda_runtime") == "python3.13"
    assert build.read_tfvar(text, "environment") == "dev"
    assert build.read_tfvar(text, "lambda_architecture") is None


def test_read_tfvar_rejects_a_value_it_cannot_read() -> None:
    with pytest.raises(BuildError, match="plain quoted string"):
        build.read_tfvar("lambda_runtime = var.runtime\n", "lambda_runtime")


def test_variable_default_reads_the_variable_block() -> None:
    text = (
        'variable "lambda_runtime" {\n'
        '  description = "Lambda runtime"\n'
        "  type        = string\n"
        '  default     = "python3.13"\n'
        "  validation {\n"
        '    condition     = contains(["python3.12", "python3.13"], var.lambda_runtime)\n'
        '    error_message = "Use python3.12 or python3.13."\n'
        "  }\n"
        "}\n"
        'variable "lambda_architecture" {\n'
        "  type = string\n"
        "}\n"
    )
    assert build.variable_default(text, "lambda_runtime") == "python3.13"
    assert build.variable_default(text, "lambda_architecture") is None
    assert build.variable_default(text, "missing") is None


def test_target_for_env_reads_tfvars_then_falls_back(tmp_path: Path) -> None:
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "sandbox.tfvars").write_text(
        'environment         = "sandbox"\nlambda_architecture = "x86_64"\n'
    )
    (tmp_path / "envs" / "prod.tfvars").write_text(
        'lambda_runtime      = "python3.13"\nlambda_architecture = "arm64"\n'
    )
    # No variables.tf yet: the documented defaults.
    assert build.target_for_env("sandbox", tmp_path) == Target("python3.12", "x86_64")
    assert build.target_for_env("prod", tmp_path) == Target("python3.13", "arm64")
    assert build.target_for_env("dev", tmp_path) == Target("python3.12", "arm64")

    (tmp_path / "variables.tf").write_text(
        'variable "lambda_runtime" {\n  type    = string\n  default = "python3.13"\n}\n'
    )
    assert build.target_for_env("sandbox", tmp_path) == Target("python3.13", "x86_64")


@pytest.mark.parametrize(
    ("runtime", "architecture", "message"),
    [
        ("python3.11", "arm64", "not supported"),
        ("nodejs20.x", "arm64", "not supported"),
        ("python3.12", "aarch64", "not a Lambda architecture"),
    ],
)
def test_target_rejects_what_lambda_or_the_layer_cannot_run(
    runtime: str, architecture: str, message: str
) -> None:
    with pytest.raises(BuildError, match=message):
        Target(runtime, architecture)


def test_main_reports_a_bad_target_without_building(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(build, "BUILD_DIR", tmp_path / "build")
    assert build.main(["--runtime", "python3.9", "--function-only"]) == 2
    assert "python3.9" in capsys.readouterr().err
    assert not (tmp_path / "build").exists()


def test_main_builds_the_function_zip_for_an_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source_tree: Path
) -> None:
    monkeypatch.setattr(build, "BUILD_DIR", tmp_path / "build")
    monkeypatch.setattr(build, "LAMBDA_SRC", source_tree)
    assert build.main(["--env", "dev", "--function-only"]) == 0
    assert (tmp_path / "build" / "function.zip").is_file()
    assert (tmp_path / "build" / "console.zip").is_file()  # the web console's, always


# --- requirements -------------------------------------------------------------------------


def test_read_requirements_takes_exact_pins(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("# layer\nPillow==13.0.0\n\naws_lambda_powertools[tracer]==3.37.0  # note\n")
    pins = build.read_requirements(path)
    assert [str(pin) for pin in pins] == ["aws-lambda-powertools[tracer]==3.37.0", "pillow==13.0.0"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("pillow>=11", "exact pin"),
        ("pillow", "exact pin"),
        ("pillow==13.*", "exact pin"),
        ('pillow==13.0.0; python_version < "3.13"', "exact pin"),
        ("pillow @ https://example.com/pillow.whl", "exact pin"),
        ("boto3==1.35.0", "comes with the Lambda runtime"),
        ("botocore==1.35.0", "comes with the Lambda runtime"),
        ("--index-url https://example.com", "pip options"),
        ("pillow==13.0.0\nPillow==13.0.0", "pinned twice"),
        ("not a requirement!", r"requirements.txt:1"),
        ("# nothing", "pins nothing"),
    ],
)
def test_read_requirements_rejects_anything_but_exact_pins(
    tmp_path: Path, line: str, message: str
) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(line + "\n")
    with pytest.raises(BuildError, match=message):
        build.read_requirements(path)


def test_real_requirements_are_a_valid_set_of_pins() -> None:
    names = {pin.name for pin in build.read_requirements(build.REQUIREMENTS)}
    assert {"aws-lambda-powertools", "pillow", "pypdfium2", "chardet"} <= names


# --- layer (local wheels, real pip) -----------------------------------------------------------


def layer_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}


@pytest.mark.parametrize(
    ("target", "machine"),
    [(Target("python3.12", "arm64"), "aarch64"), (Target("python3.12", "x86_64"), "x86_64")],
)
def test_layer_gets_the_wheels_of_the_target_architecture(
    build_test_layer: LayerBuilder, target: Target, machine: str
) -> None:
    path = build_test_layer(target)
    assert path.name == f"layer-common-python3.12-{target.architecture}.zip"
    files = layer_files(path)
    assert files["python/nativepkg/__init__.py"] == f"BUILT_FOR = 'cp312-{machine}'\n".encode()
    so = f"python/nativepkg/_speed.cp312-{machine}-linux-gnu.so"
    assert elf_machine(files[so]) == build.ELF_MACHINE[machine]


def test_layer_gets_the_wheels_of_the_runtime_python(build_test_layer: LayerBuilder) -> None:
    files = layer_files(build_test_layer(Target("python3.13", "x86_64")))
    assert files["python/nativepkg/__init__.py"] == b"BUILT_FOR = 'cp313-x86_64'\n"


def test_layer_is_an_installed_python_tree_without_scripts_or_foreign_bytecode(
    build_test_layer: LayerBuilder,
) -> None:
    path = build_test_layer(Target("python3.12", "arm64"), bytecode=False)
    files = layer_files(path)
    assert all(name.startswith("python/") for name in zip_names(path))
    # .data/purelib is spread into the package; scripts never reach the layer.
    assert files["python/purepkg/spread.py"] == b"SPREAD = True\n"
    assert not [name for name in files if "purepkg-tool" in name or "/bin/" in name]
    # Not even the .pyc a wheel may carry: only the build's own, compiled for the runtime.
    assert not [name for name in files if name.endswith(".pyc") or "__pycache__" in name]
    assert files["python/purepkg-2.0.dist-info/INSTALLER"] == b"fileproc-build\n"
    assert "python/nativepkg-1.0.dist-info/RECORD" in files
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 in (0o040755, 0o100644, 0o100755)


@pytest.mark.parametrize("runtime", ["python3.12", "python3.13"])
def test_layer_has_unchecked_bytecode_of_the_runtime_python(
    build_test_layer: LayerBuilder, runtime: str
) -> None:
    compiler = runtime_compiler(runtime)
    files = layer_files(build_test_layer(Target(runtime, "x86_64")))
    sources = [name for name in files if name.endswith(".py")]
    compiled = {name: data for name, data in files.items() if name.endswith(".pyc")}
    assert sorted(compiled) == sorted(compiler.pyc_name(name) for name in sources)
    assert f"python/purepkg/__pycache__/spread.{compiler.cache_tag}.pyc" in compiled
    # A layer version never changes: the runtime need not hash the sources.
    assert {pyc_flags(data) for data in compiled.values()} == {PYC_UNCHECKED_HASH}


def test_layer_leaves_a_file_the_runtime_cannot_compile_as_source(
    build_test_layer: LayerBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime_compiler("python3.12")
    files = layer_files(build_test_layer(Target("python3.12", "arm64"), pins="oldsyntax==1.0\n"))
    assert files["python/oldsyntax/py2.py"] == b"print 'old'\n"
    assert "python/oldsyntax/__pycache__/__init__.cpython-312.pyc" in files
    assert not [name for name in files if "py2.cpython" in name]
    assert "oldsyntax/py2.py" in capsys.readouterr().out


def test_layer_is_byte_identical_with_a_cold_or_a_warm_cache(
    build_test_layer: LayerBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = Target("python3.12", "arm64")
    cold = build_test_layer(target, out="cold", cache="cache-a").read_bytes()
    other_cold = build_test_layer(target, out="cold-b", cache="cache-b").read_bytes()
    assert other_cold == cold

    run = subprocess.run

    def no_pip(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert "pip" not in command, "a warm cache must not run pip"
        return run(command, **kwargs)

    # Warm: no download at all, as on an offline machine.
    monkeypatch.setattr(build.subprocess, "run", no_pip)
    warm = build_test_layer(target, out="warm", cache="cache-a", wheels_from=tmp_path / "none")
    assert warm.read_bytes() == cold


def test_layer_refuses_a_set_of_pins_with_a_missing_dependency(
    build_test_layer: LayerBuilder,
) -> None:
    with pytest.raises(BuildError, match=r"purepkg needs nativepkg>=1.0: pin it"):
        build_test_layer(Target("python3.12", "arm64"), pins="purepkg==2.0\n")


def test_layer_refuses_a_pin_that_a_dependent_does_not_accept(
    build_test_layer: LayerBuilder,
) -> None:
    with pytest.raises(BuildError, match=r"needsnew needs nativepkg>=2, but nativepkg==1.0"):
        build_test_layer(Target("python3.12", "arm64"), pins="needsnew==1.0\nnativepkg==1.0\n")


def test_layer_refuses_a_shared_object_for_another_machine(
    build_test_layer: LayerBuilder, tmp_path: Path
) -> None:
    with pytest.raises(BuildError, match=r"not built for aarch64: mislabeled/_core.so"):
        build_test_layer(Target("python3.12", "arm64"), pins="mislabeled==1.0\n")
    assert not (tmp_path / "out" / "layer-common-python3.12-arm64.zip").exists()


def test_layer_fails_clearly_without_a_wheel_and_caches_nothing(
    build_test_layer: LayerBuilder, tmp_path: Path
) -> None:
    with pytest.raises(BuildError, match="pip download failed"):
        build_test_layer(Target("python3.12", "arm64"), pins="maconly==1.0\n")
    assert not list((tmp_path / "cache").glob(f"*/{build.CACHE_COMPLETE}"))


def test_platform_tags_are_manylinux_for_the_target_only() -> None:
    tags = build.platform_tags("aarch64")
    assert tags[0] == "manylinux_2_34_aarch64"
    assert "manylinux_2_28_aarch64" in tags
    assert "manylinux2014_aarch64" in tags
    assert all(tag.startswith("manylinux") and tag.endswith("_aarch64") for tag in tags)


# --- the real layer (PyPI or a cached download) ---------------------------------------------


def pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
    except OSError:
        return False
    return True


def real_layer_available(target: Target) -> bool:
    pins = build.read_requirements(build.REQUIREMENTS)
    cache = build.wheel_cache_dir(build.BUILD_DIR / "wheels", pins, target)
    return (cache / build.CACHE_COMPLETE).is_file() or pypi_reachable()


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["arm64", "x86_64"])
def test_real_layers_are_for_the_target_platform(architecture: str, tmp_path: Path) -> None:
    """The real pins resolve to cp312 manylinux wheels of the right machine, without boto3,
    each engine in the layers of the functions that import it only.

    Uses (and fills) the project's wheel cache under build/wheels.
    """
    target = Target("python3.12", architecture)
    if not real_layer_available(target):
        pytest.skip("needs PyPI or a cached download under build/wheels")
    layers = build.build_layers(target, cache_root=build.BUILD_DIR / "wheels", out_dir=tmp_path)
    assert list(layers) == ["common", "image", "document", "data", "api"]
    imaging = f"python/PIL/_imaging.cpython-312-{target.machine}-linux-gnu.so"
    with zipfile.ZipFile(layers["image"]) as zf:
        assert elf_machine(zf.read(imaging)) == build.ELF_MACHINE[target.machine]
    top_level = {}
    for name, path in layers.items():
        names = zip_names(path)
        top_level[name] = {entry.split("/")[1] for entry in names if entry.count("/") > 1}
        assert not top_level[name] & {"boto3", "botocore", "s3transfer"}
        assert path.stat().st_size <= build.MAX_DIRECT_UPLOAD_BYTES
    assert {"aws_lambda_powertools", "aws_xray_sdk", "wrapt"} <= top_level["common"]
    assert {"PIL", "pypdfium2", "chardet", "duckdb", "pydantic"}.isdisjoint(top_level["common"])
    assert {"PIL"} <= top_level["image"]
    assert {"PIL", "pypdfium2", "chardet"} <= top_level["document"]
    assert {"duckdb", "chardet"} <= top_level["data"]
    assert {"pydantic", "pydantic_core"} <= top_level["api"]
    assert "duckdb" not in top_level["image"] | top_level["document"] | top_level["api"]
    assert "pypdfium2" not in top_level["image"] | top_level["data"] | top_level["api"]
    function_zip = build.build_function(out_dir=tmp_path, target=target, bytecode=False)
    sizes = build.check_function_sizes(function_zip, layers, target, tmp_path)
    assert all(size.total <= build.HEADROOM_UNZIPPED_BYTES for size in sizes)
    manifest = json.loads((tmp_path / target.manifest_name).read_text())
    assert manifest["functions"]["data"]["layers"] == ["common", "data"]
    assert (
        manifest["functions"]["image"]["unzipped_bytes"]
        < (manifest["functions"]["data"]["unzipped_bytes"])
    )


# --- layers per function -------------------------------------------------------------------

SECTIONS = """\
# [functions: all]
aws-lambda-powertools==3.37.0
# [functions: api]
pydantic==2.14.4
# [functions: image, document]
pillow==13.0.0
# [functions: document]
pypdfium2==5.15.2
# [functions: document data]
chardet==7.7.0
# [functions: data]
duckdb==2.0.1
"""


def test_sections_name_the_functions_of_their_pins(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(SECTIONS)
    functions = {pin.name: pin.functions for pin in build.read_requirements(path)}
    assert functions == {
        "aws-lambda-powertools": {"image", "document", "data", "api"},
        "pydantic": {"api"},
        "pillow": {"image", "document"},
        "pypdfium2": {"document"},
        "chardet": {"document", "data"},
        "duckdb": {"data"},
    }


@pytest.mark.parametrize("header", ["# [functions: images]", "# [functions: ]"])
def test_a_section_must_name_known_functions(tmp_path: Path, header: str) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(f"{header}\npillow==13.0.0\n")
    with pytest.raises(BuildError, match=r"requirements.txt:1: a section names the functions"):
        build.read_requirements(path)


def test_each_function_gets_the_common_layer_and_its_own(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(SECTIONS)
    layers = build.plan_layers(build.read_requirements(path))
    names = {layer: [pin.name for pin in pins] for layer, pins in layers.items()}
    # A pin two functions share is in both of their layers: two layers a function.
    assert names == {
        "common": ["aws-lambda-powertools"],
        "image": ["pillow"],
        "document": ["chardet", "pillow", "pypdfium2"],
        "data": ["chardet", "duckdb"],
        "api": ["pydantic"],
    }
    assert build.function_layers(layers) == {
        "image": ["common", "image"],
        "document": ["common", "document"],
        "data": ["common", "data"],
        "api": ["common", "api"],
    }
    # A function without engines of its own gets the common layer only.
    assert build.function_layers({"common": [], "data": []})["image"] == ["common"]


def test_a_dependency_pinned_for_another_function_only_is_missing(
    build_test_layer: LayerBuilder,
) -> None:
    pins = "# [functions: image]\nnativepkg==1.0\n# [functions: data]\npurepkg==2.0\n"
    with pytest.raises(BuildError, match=r"purepkg needs nativepkg>=1.0: pin it in a section of"):
        build_test_layer(Target("python3.12", "x86_64"), pins=pins)


def test_the_layers_of_the_sections_are_built_from_one_download(
    tmp_path: Path, wheelhouse: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "# [functions: all]\nnativepkg==1.0\n# [functions: data api]\npurepkg==2.0\n"
    )
    target = Target("python3.12", "x86_64")
    layers = build.build_layers(
        target,
        requirements,
        out_dir=tmp_path / "out",
        cache_root=tmp_path / "cache",
        pip_args=["--no-index", "--find-links", str(wheelhouse)],
        bytecode=False,
    )
    assert {name: path.name for name, path in layers.items()} == {
        "common": "layer-common-python3.12-x86_64.zip",
        "data": "layer-data-python3.12-x86_64.zip",
        "api": "layer-api-python3.12-x86_64.zip",
    }
    assert "python/nativepkg/__init__.py" in layer_files(layers["common"])
    assert "python/purepkg/spread.py" in layer_files(layers["data"])
    assert not [name for name in layer_files(layers["common"]) if "purepkg" in name]
    assert len(list((tmp_path / "cache").iterdir())) == 1


def _zip_of(path: Path, size: int) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("python/blob.bin", b"\0" * size)
    return path


def test_a_function_over_its_size_limit_fails_the_build_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "HEADROOM_UNZIPPED_BYTES", 3 * 1024**2)
    target = Target("python3.12", "x86_64")
    code = _zip_of(tmp_path / "function.zip", 512 * 1024)
    layers = {
        "common": _zip_of(tmp_path / "common.zip", 1024**2),
        "data": _zip_of(tmp_path / "data.zip", 2 * 1024**2),
        "api": _zip_of(tmp_path / "api.zip", 1024**2),
    }
    with pytest.raises(BuildError) as failed:
        build.check_function_sizes(code, layers, target, tmp_path)
    message = str(failed.value)
    assert "data: 3.5 MB unzipped (code 0.5 MB + common 1.0 MB + data 2.0 MB)" in message
    assert "api:" not in message
    assert "image:" not in message
    # What was found is written all the same, for the bench and for a person.
    manifest = json.loads((tmp_path / target.manifest_name).read_text())
    assert manifest["functions"]["data"]["unzipped_bytes"] == int(3.5 * 1024**2)
    assert manifest["functions"]["image"]["layers"] == ["common"]
    assert manifest["layers"]["data"]["unzipped_bytes"] == 2 * 1024**2
    monkeypatch.setattr(build, "HEADROOM_UNZIPPED_BYTES", 4 * 1024**2)
    sizes = build.check_function_sizes(code, layers, target, tmp_path)
    assert [size.total for size in sizes] == [int(x * 1024**2) for x in (1.5, 1.5, 3.5, 2.5)]


def test_the_size_limit_is_lambdas_less_a_fifth() -> None:
    assert build.MAX_UNZIPPED_BYTES == 250 * 1024**2
    assert build.HEADROOM_UNZIPPED_BYTES == 200 * 1024**2


def test_real_requirements_give_each_engine_to_its_functions_only() -> None:
    layers = build.plan_layers(build.read_requirements(build.REQUIREMENTS))
    names = {layer: {pin.name for pin in pins} for layer, pins in layers.items()}
    assert set(names) == {"common", "image", "document", "data", "api"}
    assert {"aws-lambda-powertools", "aws-xray-sdk"} <= names["common"]
    assert "duckdb" in names["data"]
    assert "pypdfium2" in names["document"]
    assert "pillow" in names["image"] & names["document"]
    assert "chardet" in names["document"] & names["data"]
    engines = {"duckdb", "pypdfium2", "pillow", "chardet", "pydantic"}
    assert not engines & names["common"]


# --- reuse: rebuilt only when the inputs change ---------------------------------------------


@pytest.fixture
def zips_written(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the zips write_zip really writes (it still writes them)."""
    written: list[str] = []
    write = build.write_zip

    def spy(path: Path, entries: Any) -> None:
        written.append(path.name)
        write(path, entries)

    monkeypatch.setattr(build, "write_zip", spy)
    return written


def test_function_zip_is_reused_until_its_sources_change(
    source_tree: Path,
    tmp_path: Path,
    zips_written: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    target = Target("python3.12", "x86_64")
    first = build.build_function(source_tree, out, target).read_bytes()
    assert zips_written == ["function.zip"]

    # A touch, a mode change or a stray file outside the package changes no input.
    config = source_tree / "fileproc" / "config.py"
    os.utime(config, (1_900_000_000, 1_900_000_000))
    (source_tree / "fileproc" / "notes.txt").write_text("more scratch")
    capsys.readouterr()
    assert build.build_function(source_tree, out, target).read_bytes() == first
    assert zips_written == ["function.zip"]
    assert "function.zip: reused, its inputs are unchanged" in capsys.readouterr().out

    config.write_text("LIMIT = 2\n")
    edited = build.build_function(source_tree, out, target).read_bytes()
    assert zips_written == ["function.zip", "function.zip"]
    assert edited != first
    assert "changed since the last build: sources" in capsys.readouterr().out

    (source_tree / "fileproc" / "added.py").write_text("ADDED = 1\n")
    build.build_function(source_tree, out, target)
    assert len(zips_written) == 3

    # Without bytecode the zip differs, and so do its inputs.
    build.build_function(source_tree, out, target, bytecode=False)
    assert len(zips_written) == 4
    assert "changed since the last build: compiler" in capsys.readouterr().out


def test_a_zip_changed_by_hand_is_built_again(
    source_tree: Path, tmp_path: Path, zips_written: list[str]
) -> None:
    out = tmp_path / "out"
    path = build.build_function(source_tree, out, bytecode=False)
    first = path.read_bytes()
    path.write_bytes(first[:-10])  # truncated, as by an interrupted copy
    assert build.build_function(source_tree, out, bytecode=False).read_bytes() == first
    assert zips_written == ["function.zip", "function.zip"]
    build.inputs_record(path).unlink()  # no record: nothing proves what the zip is
    build.build_function(source_tree, out, bytecode=False)
    assert len(zips_written) == 3


def test_layer_is_reused_until_its_pins_or_its_build_change(
    build_test_layer: LayerBuilder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    zips_written: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = Target("python3.12", "x86_64")
    first = build_test_layer(target).read_bytes()
    assert zips_written == [target.layer_zip_name("common")]

    run = subprocess.run

    def no_pip(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert "pip" not in command, "a reused layer must not run pip"
        return run(command, **kwargs)

    monkeypatch.setattr(build.subprocess, "run", no_pip)
    capsys.readouterr()
    # The same pins, reordered and commented: the same layer, reused without pip.
    again = build_test_layer(target, pins="# pins\npurepkg==2.0\nnativepkg==1.0  # native\n")
    assert again.read_bytes() == first
    assert zips_written == [target.layer_zip_name("common")]
    assert "reused, its inputs are unchanged" in capsys.readouterr().out
    monkeypatch.setattr(build.subprocess, "run", run)

    grown = build_test_layer(target, pins="nativepkg==1.0\npurepkg==2.0\noldsyntax==1.0\n")
    assert "python/oldsyntax/py2.py" in layer_files(grown)
    assert zips_written == [target.layer_zip_name("common")] * 2
    assert "changed since the last build: pins" in capsys.readouterr().out

    # A new version of this module (how layers are made) builds the layer again.
    monkeypatch.setattr(build, "BUILD_CODE_SHA256", "0" * 64)
    build_test_layer(target, pins="nativepkg==1.0\npurepkg==2.0\noldsyntax==1.0\n")
    assert zips_written == [target.layer_zip_name("common")] * 3
    assert "changed since the last build: build_code" in capsys.readouterr().out


def test_the_root_module_deploys_the_layers_the_build_makes() -> None:
    """main.tf's default layer_zip_paths names the zips plan_layers makes: a layer the
    root forgot would leave its function without its engines."""
    main_tf = (REPO_ROOT / "main.tf").read_text()
    listed = re.search(r"^\s*layers\s*=\s*\[([^\]]*)\]", main_tf, re.MULTILINE)
    assert listed is not None
    layers = build.plan_layers(build.read_requirements(build.REQUIREMENTS))
    assert re.findall(r'"([a-z]+)"', listed.group(1)) == list(layers)
    assert "build/layer-${name}-${var.lambda_runtime}-${var.lambda_architecture}.zip" in main_tf
    assert Target("python3.12", "arm64").layer_zip_name("data") == "layer-data-python3.12-arm64.zip"
