"""make lint: every static check of the repository, each reported as pass, fail or skip.

In order: ``terraform fmt -check -recursive``; ``terraform validate`` of the
root and of each module under modules/; checkov over the Terraform (and no
inline checkov skip without a reason); ``ruff check`` and ``ruff format
--check``; mypy. A failed step does not stop the others, so one run shows
everything; the exit status is 1 when any step failed.

Each Terraform configuration is initialised in its own data directory under
build/lint/ (its own TF_DATA_DIR), so lint never touches the .terraform/ of a
developer or a test run. With the unpacked provider mirror, ``terraform init``
links to the mirror instead of copying the 700 MB provider; with the public
registry, a shared plugin cache downloads it once for all configurations.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fileproc_tools.tfconfig import REPO_ROOT, terraform_env

PYTHON_PATHS = ("lambda_src", "cli", "sandbox", "tools", "console", "tests", "bench")
# Not the project's Terraform: the venvs and the build outputs.
CHECKOV_SKIP_PATHS = (".venv", ".venv-checkov", "build")
LINT_DATA_DIR = Path("build") / "lint"
SKIP_COMMENT = re.compile(r"checkov:skip=([A-Z0-9_]+)(?::([^\n]*))?")
# checkov lives in a venv of its own (`make lint` creates it): it pins boto3 and
# packaging exactly, which must not decide this project's versions.
CHECKOV_VENV = ".venv-checkov"


@dataclass(frozen=True)
class Step:
    """One check: commands run in order (stopping at the first failure), or an
    in-process check that returns its problems, or a reason it does not apply."""

    name: str
    commands: Sequence[Sequence[str]] = ()
    env: Mapping[str, str] | None = None
    check: Callable[[], list[str]] | None = None
    skipped: str = ""


@dataclass
class Outcome:
    name: str
    status: str  # PASS, FAIL or SKIP
    detail: str = ""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(outcome.status == "FAIL" for outcome in self.outcomes)

    def summary(self) -> str:
        lines = ["lint summary:"]
        for outcome in self.outcomes:
            detail = f" ({outcome.detail})" if outcome.detail else ""
            lines.append(f"  {outcome.status}  {outcome.name}{detail}")
        return "\n".join(lines)


# --- finding what there is to check ----------------------------------------------------------


def has_terraform(directory: Path) -> bool:
    return any(directory.glob("*.tf"))


def terraform_configs(root: Path) -> list[Path]:
    """The root (when it has .tf files) and every module directory under modules/."""
    configs = [root] if has_terraform(root) else []
    modules = root / "modules"
    if modules.is_dir():
        configs += sorted(path for path in modules.iterdir() if has_terraform(path))
    return configs


def tool(name: str) -> str:
    """The venv's copy of a tool when there is one (make venv), else the PATH's."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which(name) or name


def checkov_requirement(root: Path = REPO_ROOT) -> str:
    """checkov's pin, ``[tool.fileproc.lint] checkov`` of pyproject.toml."""
    with (root / "pyproject.toml").open("rb") as file:
        requirement: str = tomllib.load(file)["tool"]["fileproc"]["lint"]["checkov"]
    return requirement


def checkov_tool(root: Path) -> str:
    """The checkov of its own venv when there is one, else as any other tool."""
    isolated = root / CHECKOV_VENV / "bin" / "checkov"
    return str(isolated) if isolated.is_file() else tool("checkov")


def inline_skips_without_reason(root: Path) -> list[str]:
    """Every ``checkov:skip=<check>`` in the Terraform must say why."""
    problems = []
    for path in sorted(root.rglob("*.tf")):
        relative = path.relative_to(root)
        if any(part.startswith(".") or part == "build" for part in relative.parts[:-1]):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for match in SKIP_COMMENT.finditer(line):
                if not (match.group(2) or "").strip():
                    problems.append(
                        f"{relative}:{number}: {match.group(1)} is skipped without a reason"
                    )
    return problems


def terraform_environment(root: Path, name: str) -> dict[str, str]:
    env = terraform_env()
    env["TF_DATA_DIR"] = str(root / LINT_DATA_DIR / "terraform" / name)
    if "TF_CLI_CONFIG_FILE" not in env and "TF_PLUGIN_CACHE_DIR" not in env:
        # Registry downloads: fetch the provider once for all the configurations.
        cache = root / LINT_DATA_DIR / "plugin-cache"
        cache.mkdir(parents=True, exist_ok=True)
        env["TF_PLUGIN_CACHE_DIR"] = str(cache)
        # Lock files are not committed (.gitignore), and without one Terraform
        # >= 1.4 ignores the cache and downloads again unless told otherwise.
        env.setdefault("TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE", "true")
    return env


def terraform_steps(root: Path) -> list[Step]:
    configs = terraform_configs(root)
    if not configs:
        nothing = "no Terraform files yet"
        return [
            Step("terraform fmt", skipped=nothing),
            Step("terraform validate", skipped=nothing),
            Step("checkov", skipped=nothing),
        ]
    terraform = tool("terraform")
    steps = [Step("terraform fmt", [[terraform, "fmt", "-check", "-recursive", "-diff"]])]
    for config in configs:
        name = "root" if config == root else config.relative_to(root).as_posix()
        chdir = f"-chdir={config}"
        steps.append(
            Step(
                f"terraform validate {name}",
                [
                    [terraform, chdir, "init", "-backend=false", "-input=false", "-no-color"],
                    [terraform, chdir, "validate", "-no-color"],
                ],
                env=terraform_environment(root, name.replace("/", "-")),
            )
        )
    skip_paths = [arg for path in CHECKOV_SKIP_PATHS for arg in ("--skip-path", path)]
    checkov = [checkov_tool(root), "-d", ".", "--framework", "terraform", "--quiet", "--compact"]
    # The built-in checks only: no call to the Prisma Cloud API (offline machines).
    checkov.append("--skip-download")
    steps.append(Step("checkov", [[*checkov, *skip_paths]]))
    steps.append(
        Step("checkov skips have reasons", check=lambda: inline_skips_without_reason(root))
    )
    return steps


def python_steps(root: Path) -> list[Step]:
    paths = [path for path in PYTHON_PATHS if (root / path).is_dir()]
    if not paths:
        return [Step("ruff / mypy", skipped="no Python directories")]
    ruff = tool("ruff")
    return [
        Step("ruff check", [[ruff, "check", *paths]]),
        Step("ruff format", [[ruff, "format", "--check", *paths]]),
        # Which packages and how strictly: [tool.mypy] in pyproject.toml.
        Step("mypy", [[tool("mypy")]]),
    ]


def plan_steps(root: Path = REPO_ROOT) -> list[Step]:
    return [*terraform_steps(root), *python_steps(root)]


# --- running --------------------------------------------------------------------------------


def run_step(step: Step, cwd: Path) -> Outcome:
    if step.skipped:
        return Outcome(step.name, "SKIP", step.skipped)
    if step.check is not None:
        problems = step.check()
        for problem in problems:
            print(problem)
        if problems:
            return Outcome(step.name, "FAIL", f"{len(problems)} found")
        return Outcome(step.name, "PASS")
    for command in step.commands:
        try:
            result = subprocess.run(command, cwd=cwd, env=step.env, check=False)
        except FileNotFoundError:
            return Outcome(step.name, "FAIL", f"{command[0]} not found: run `make venv`?")
        if result.returncode != 0:
            return Outcome(step.name, "FAIL", f"exit {result.returncode}")
    return Outcome(step.name, "PASS")


def run(steps: Sequence[Step], cwd: Path = REPO_ROOT) -> Report:
    report = Report()
    for step in steps:
        print(f"==> {step.name}", flush=True)
        outcome = run_step(step, cwd)
        print(f"<== {outcome.status} {step.name}", flush=True)
        report.outcomes.append(outcome)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fileproc_tools.lint")
    parser.add_argument(
        "--checkov-requirement",
        action="store_true",
        help="print checkov's pin (for `make lint`, which installs it) and exit",
    )
    if parser.parse_args(argv).checkov_requirement:
        print(checkov_requirement())
        return 0
    report = run(plan_steps(REPO_ROOT), REPO_ROOT)
    print(report.summary())
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
