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
        for line in self.backend_config.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "bucket":
                return value.split("#")[0].strip().strip('"')
        raise TerraformError(f"{self.backend_config} names no bucket")


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


def deploy(tf: Target, auto_approve: bool, on_line: Callable[[str], None] | None = None) -> Path:
    """init + apply, then the outputs file; on_line as for ``run``."""
    init(tf, on_line=on_line)
    approve = ["-input=false", "-auto-approve"] if auto_approve or tf.endpoint else []
    run(tf, "apply", *approve, *tf.var_args(), on_line=on_line)
    return write_outputs(tf)


def destroy(tf: Target, auto_approve: bool) -> None:
    init(tf)
    approve = ["-input=false", "-auto-approve"] if auto_approve or tf.endpoint else []
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
    args = parser.parse_args(argv)
    try:
        tf = target(args.env)
        if args.command == "init":
            init(tf, force=True)
        elif args.command == "plan":
            plan(tf)
        elif args.command == "deploy":
            print(f"outputs: {deploy(tf, args.auto_approve)}")
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
