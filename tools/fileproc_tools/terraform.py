"""Terraform for any environment: ``make init | plan | deploy | destroy | outputs ENV=<env>``.

Every environment applies the same root module with ``envs/<env>.tfvars`` and
the S3 backend of ``envs/<env>.backend.hcl``. Each has its own working
directory (``TF_DATA_DIR=.terraform/env/<env>``), so switching ENV never
re-points another environment's backend; ``init`` runs again only when the
backend settings change.

Real environments (dev, staging, prod) use the caller's AWS credentials;
``deploy`` and ``destroy`` ask for confirmation unless ``--auto-approve`` (or
``FILEPROC_AUTO_APPROVE=1``, for CI).

``ENV=sandbox`` starts the sandbox if needed, keeps the state in the sandbox's
own S3 (the bucket of ``envs/sandbox.backend.hcl``, created here), points the
provider at the sandbox with ``-var=aws_endpoint_url=...`` and uses fake
credentials; it applies without asking. moto's resources and the state both
vanish when the sandbox stops, so they never disagree (a local state file
would outlive them and go stale).

``deploy`` writes the outputs file (``outputs.py``) after a successful apply;
``outputs`` writes it for what is deployed.

A sandbox deploy records what it applied (``.sandbox/deployed-sandbox.json``: a
hash of the configuration, the tfvars and the zips, and the version of the
state object it left in the sandbox's S3). Run again against the same state
(same sandbox, nobody applied or destroyed since), it skips ``terraform apply``
when nothing in that hash changed, and applies with ``-refresh=false`` when
something did: refreshing reads back ~115 resources (35-56 s here) to find
changes made outside Terraform, and in the sandbox nothing else writes them
(the emulator's own writers touch objects, items and messages, never a
resource's settings). ``--force`` (``make deploy ENV=sandbox
FORCE=1``, ``make demo FRESH=1``) applies with a full refresh anyway.
Real environments always refresh: other people and AWS itself change them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from fileproc_cli import outputs
from fileproc_sandbox import ENV_NAME as SANDBOX_ENV
from fileproc_sandbox import SandboxError, credentials
from fileproc_sandbox.credentials import FAKE_CREDENTIALS
from fileproc_tools.tfconfig import terraform_env

REPO_ROOT = Path(__file__).resolve().parents[2]
ENVS_DIR = REPO_ROOT / "envs"
SANDBOX = SANDBOX_ENV
# The state bucket names in envs/<env>.backend.hcl start so until a user sets theirs.
PLACEHOLDER_PREFIX = "CHANGE-ME"
# Settings of the caller's shell that would send a sandbox run elsewhere.
REAL_AWS_SETTINGS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


class TerraformError(RuntimeError):
    """A Terraform command failed, or the environment is not set up for it."""


def environments() -> list[str]:
    return sorted(path.stem for path in ENVS_DIR.glob("*.tfvars"))


@dataclass(frozen=True)
class Target:
    """One environment of the root module: its files, arguments and process environment."""

    env: str
    endpoint: str | None = None  # the sandbox's AWS endpoint
    api_endpoint: str | None = None  # the sandbox's API front

    @property
    def tfvars(self) -> Path:
        return ENVS_DIR / f"{self.env}.tfvars"

    @property
    def backend_config(self) -> Path:
        return ENVS_DIR / f"{self.env}.backend.hcl"

    @property
    def data_dir(self) -> Path:
        return REPO_ROOT / ".terraform" / "env" / self.env

    def init_args(self) -> list[str]:
        """``-backend-config`` arguments of ``terraform init``."""
        args = [f"-backend-config={self.backend_config}"]
        if self.endpoint:
            args.append(f'-backend-config=endpoints={{s3="{self.endpoint}"}}')
        return args

    def var_args(self) -> list[str]:
        """Variable arguments of ``plan``, ``apply`` and ``destroy``."""
        args = [f"-var-file={self.tfvars}"]
        if self.endpoint:
            args.append(f"-var=aws_endpoint_url={self.endpoint}")
        return args

    def process_env(self) -> dict[str, str]:
        env = terraform_env()
        env["TF_DATA_DIR"] = str(self.data_dir)
        if "TF_CLI_CONFIG_FILE" not in env and "TF_PLUGIN_CACHE_DIR" not in env:
            # Registry downloads: one provider download for every environment.
            cache = REPO_ROOT / ".terraform" / "plugin-cache"
            cache.mkdir(parents=True, exist_ok=True)
            env["TF_PLUGIN_CACHE_DIR"] = str(cache)
            env.setdefault("TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE", "true")
        if self.endpoint:
            for name in REAL_AWS_SETTINGS:
                env.pop(name, None)
            env.update(FAKE_CREDENTIALS)
            env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = self.region()
        return env

    def region(self) -> str:
        for line in self.backend_config.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "region":
                return value.split("#")[0].strip().strip('"')
        return "us-east-1"

    def backend_bucket(self) -> str:
        return self.backend_setting("bucket")

    def backend_setting(self, name: str) -> str:
        for line in self.backend_config.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == name:
                return value.split("#")[0].strip().strip('"')
        raise TerraformError(f"{self.backend_config} names no {name}")


def target(env: str) -> Target:
    """The target of an environment; for the sandbox, started and with its state bucket."""
    if env not in environments():
        raise TerraformError(f"no envs/{env}.tfvars; environments: {', '.join(environments())}")
    if env != SANDBOX:
        if not (ENVS_DIR / f"{env}.backend.hcl").exists():
            raise TerraformError(f"no envs/{env}.backend.hcl")
        return Target(env)
    import fileproc_sandbox as sandbox

    endpoint = sandbox.ensure_up()
    found = Target(env, endpoint=endpoint, api_endpoint=sandbox.api_endpoint_url())
    _ensure_state_bucket(found)
    return found


def _ensure_state_bucket(sandbox_target: Target) -> None:
    """The sandbox's state bucket, versioned as a state bucket should be."""
    assert sandbox_target.endpoint is not None  # a sandbox target always has one
    s3 = credentials.client("s3", sandbox_target.endpoint, sandbox_target.region())
    bucket = sandbox_target.backend_bucket()
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def _terraform() -> str:
    found = shutil.which("terraform")
    if found is None:
        raise TerraformError("terraform is not on PATH (https://developer.hashicorp.com/terraform)")
    return found


def run(
    tf: Target,
    *args: str,
    capture: bool = False,
    on_line: Callable[[str], None] | None = None,
) -> str:
    """Run terraform in the root module for a target; its stdout when captured.

    on_line: each line of terraform's output (stdout and stderr, without colours)
    goes there instead of this process's terminal, as it comes.
    """
    command = [_terraform(), f"-chdir={REPO_ROOT}", *args]
    if on_line is None:
        completed = subprocess.run(
            command,
            env=tf.process_env(),
            stdout=subprocess.PIPE if capture else None,
            text=True,
            check=False,
        )
        code, stdout = completed.returncode, completed.stdout or ""
    else:
        command.insert(3, "-no-color")  # after the subcommand
        with subprocess.Popen(
            command,
            env=tf.process_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                on_line(line)
        code, stdout = process.returncode, ""
    if code != 0:
        raise TerraformError(f"terraform {args[0]} failed (exit {code})")
    return stdout


def _backend_fingerprint(tf: Target) -> str:
    text = tf.backend_config.read_text() + "\n".join(tf.init_args())
    return hashlib.sha256(text.encode()).hexdigest()


def init(tf: Target, force: bool = False, on_line: Callable[[str], None] | None = None) -> None:
    """``terraform init`` unless this working directory is initialised with these settings."""
    bucket = tf.backend_bucket()
    if tf.endpoint is None and bucket.startswith(PLACEHOLDER_PREFIX):
        # Caught here, the user learns what to change; terraform would first look
        # for credentials, then fail on a bucket that is not theirs.
        raise TerraformError(
            f"envs/{tf.env}.backend.hcl still names the placeholder state bucket {bucket!r}:"
            " create a versioned, encrypted S3 bucket for the Terraform state and put its"
            " name there (README: Deploying to AWS)"
        )
    stamp = tf.data_dir / "fileproc-backend.sha256"
    fingerprint = _backend_fingerprint(tf)
    initialised = (tf.data_dir / "terraform.tfstate").exists()
    if not force and initialised and stamp.exists() and stamp.read_text() == fingerprint:
        return
    run(tf, "init", "-input=false", "-reconfigure", *tf.init_args(), on_line=on_line)
    stamp.write_text(fingerprint)


def plan(tf: Target, out: Path | None = None) -> None:
    init(tf)
    args = ["plan", "-input=false", *tf.var_args()]
    if out is not None:
        args.append(f"-out={out}")
    run(tf, *args)


# --------------------------------------------------------------------------- sandbox re-deploys


@dataclass(frozen=True)
class Deployed:
    """What ``deploy`` did: the outputs file, and how much of an apply it took."""

    outputs: Path
    how: str  # "applied", "applied without refresh", "skipped: nothing changed"

    @property
    def skipped(self) -> bool:
        return self.how.startswith("skipped")


def stack_inputs(tf: Target, root: Path = REPO_ROOT) -> dict[str, str]:
    """Every file the deployed stack is made from, with its sha256: the root's and the
    modules' files, the environment's tfvars and backend, every zip in build/ (whatever
    zips the configuration uploads), and the arguments and TF_VAR_* given to Terraform."""
    files = [*root.glob("*.tf"), root / ".terraform.lock.hcl", tf.tfvars, tf.backend_config]
    files += [path for path in (root / "modules").rglob("*") if path.is_file()]
    files += (root / "build").glob("*.zip")
    found = {}
    for path in files:
        relative = path.relative_to(root)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts[:-1]):
            found[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    found["args"] = json.dumps([*tf.init_args(), *tf.var_args()])
    found["env"] = json.dumps(
        sorted((k, v) for k, v in os.environ.items() if k.startswith("TF_VAR_"))
    )
    return found


def fingerprint(inputs: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def deploy_record_path(env: str) -> Path:
    return outputs.outputs_dir() / f"deployed-{env}.json"


def state_version(tf: Target) -> str | None:
    """The version of the state object in the sandbox's S3 (None: no state there).

    The state bucket is versioned, so every apply or destroy writes a new version,
    and a restarted sandbox has no state at all: this names one state of one sandbox.
    """
    assert tf.endpoint is not None
    s3 = credentials.client("s3", tf.endpoint, tf.region())
    try:
        head = s3.head_object(Bucket=tf.backend_bucket(), Key=tf.backend_setting("key"))
    except ClientError:
        return None
    return f"{head.get('VersionId')} {head.get('ETag')}"


def apply_mode(recorded: dict[str, Any] | None, current_state: str | None, stack: str) -> str:
    """How to apply to the sandbox: "skip", "no-refresh" or "full".

    Only a state that this checkout's last successful deploy left (same version of the
    state object) is trusted to match the resources without reading them back.
    """
    if recorded is None or current_state is None or recorded.get("state") != current_state:
        return "full"
    return "skip" if recorded.get("fingerprint") == stack else "no-refresh"


def _read_record(env: str) -> dict[str, Any] | None:
    try:
        recorded = json.loads(deploy_record_path(env).read_text())
    except (OSError, ValueError):
        return None
    return recorded if isinstance(recorded, dict) else None


def deploy(
    tf: Target,
    auto_approve: bool,
    on_line: Callable[[str], None] | None = None,
    *,
    force: bool = False,
) -> Deployed:
    """init + apply, then the outputs file; on_line as for ``run``.

    A sandbox whose deployed state and inputs are those of the last deploy is left
    as it is (see the module's description); ``force`` applies with a full refresh.
    """
    init(tf, on_line=on_line)
    approve = ["-input=false", "-auto-approve"] if auto_approve or tf.endpoint else []
    if tf.endpoint is None:
        run(tf, "apply", *approve, *tf.var_args(), on_line=on_line)
        return Deployed(write_outputs(tf), "applied")
    record_path = deploy_record_path(tf.env)
    stack = fingerprint(stack_inputs(tf))
    mode = "full" if force else apply_mode(_read_record(tf.env), state_version(tf), stack)
    if mode == "skip" and outputs.outputs_path(tf.env).is_file():
        return Deployed(outputs.outputs_path(tf.env), "skipped: nothing changed")
    record_path.unlink(missing_ok=True)  # an apply that fails half-way leaves no claim
    refresh = ["-refresh=false"] if mode == "no-refresh" else []
    run(tf, "apply", *approve, *refresh, *tf.var_args(), on_line=on_line)
    written = write_outputs(tf)
    record = {"fingerprint": stack, "state": state_version(tf), "endpoint": tf.endpoint}
    record_path.write_text(json.dumps(record, indent=1) + "\n")
    return Deployed(written, "applied without refresh" if refresh else "applied")


def destroy(tf: Target, auto_approve: bool) -> None:
    init(tf)
    approve = ["-input=false", "-auto-approve"] if auto_approve or tf.endpoint else []
    deploy_record_path(tf.env).unlink(missing_ok=True)
    run(tf, "destroy", *approve, *tf.var_args())
    outputs.outputs_path(tf.env).unlink(missing_ok=True)


def read_outputs(tf: Target) -> dict[str, Any]:
    init(tf)
    raw: dict[str, Any] = json.loads(run(tf, "output", "-json", capture=True))
    flat = outputs.flatten(raw)
    if tf.api_endpoint:
        import fileproc_sandbox as sandbox

        flat = outputs.with_local_api_url(flat, tf.api_endpoint)
        # Which start of the sandbox this is: all of it vanishes with a restart.
        flat[sandbox.START_ID_OUTPUT] = sandbox.start_id()
    return flat


def write_outputs(tf: Target) -> Path:
    flat = read_outputs(tf)
    if not flat:
        raise TerraformError(f"{tf.env} has no outputs: nothing is deployed")
    return outputs.write(tf.env, flat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fileproc_tools.terraform")
    parser.add_argument("command", choices=("init", "plan", "deploy", "destroy", "outputs"))
    parser.add_argument("--env", required=True, help="dev, staging, prod or sandbox")
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        default=os.environ.get("FILEPROC_AUTO_APPROVE") == "1",
        help="apply or destroy without asking (always so for the sandbox)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="sandbox: apply with a full refresh even when nothing changed since the last deploy",
    )
    args = parser.parse_args(argv)
    try:
        tf = target(args.env)
        if args.command == "init":
            init(tf, force=True)
        elif args.command == "plan":
            plan(tf)
        elif args.command == "deploy":
            deployed = deploy(tf, args.auto_approve, force=args.force)
            if deployed.skipped:
                print(
                    "nothing changed since the last deploy to this sandbox: apply skipped "
                    "(FORCE=1 applies anyway)"
                )
            print(f"outputs: {deployed.outputs}")
        elif args.command == "destroy":
            destroy(tf, args.auto_approve)
        else:
            print(f"outputs: {write_outputs(tf)}")
    except (TerraformError, SandboxError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
