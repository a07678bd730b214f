"""The stack every integration test uses: built, applied once, destroyed at the end.

One package-scoped fixture does it all, in this order: build the zips for the sandbox's
runtime, start a private sandbox, ``terraform init`` and ``apply`` the repository's root
module with the sandbox target's arguments (``fileproc_tools.terraform``) through tftest,
hand the outputs to the tests, and finally ``destroy`` and stop the sandbox, also when
something failed. test_destroy.py checks the destroy itself and runs last (see the hook).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import tftest

import fileproc_sandbox as sandbox
from fileproc_tools import terraform

from .stack import ENV, OVERRIDES, STATE_KEY, Stack, build_zips, free_port, terraform_binary

HERE = Path(__file__).parent
# Runs after every other test of this package: it destroys the stack they use.
LAST_MODULE = "test_destroy.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move this package's last module after the package's other tests, whatever the order
    of collection or selection (pytest would otherwise run files alphabetically)."""
    last = [item for item in items if item.path.parent == HERE and item.path.name == LAST_MODULE]
    if not last:
        return
    rest = [item for item in items if item not in last]
    ours = [index for index, item in enumerate(rest) if HERE in item.path.parents]
    at = ours[-1] + 1 if ours else len(rest)
    items[:] = rest[:at] + last + rest[at:]


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("integration")
    port = free_port()
    api_port = free_port()
    while api_port == port:  # each probe's port is free again once it closes
        api_port = free_port()
    settings = sandbox.Settings(port=port, api_port=api_port, state_dir=workdir / "sandbox")
    binary = terraform_binary()
    overrides = workdir / "integration.tfvars.json"
    overrides.write_text(json.dumps({**OVERRIDES, **build_zips(workdir / "build")}, indent=2))
    with pytest.MonkeyPatch.context() as env:
        # How terraform.target(), the outputs file and the CLI find this sandbox.
        env.setenv("SANDBOX_PORT", str(settings.port))
        env.setenv("SANDBOX_API_PORT", str(settings.api_port))
        env.setenv("FILEPROC_SANDBOX_DIR", str(settings.state_dir))
        sandbox.up(settings)
        applied: Stack | None = None
        try:
            target = terraform.target(ENV)  # the running sandbox, with its state bucket
            process_env = target.process_env()
            # Not .terraform/env/sandbox: that one belongs to `make deploy ENV=sandbox`.
            process_env["TF_DATA_DIR"] = str(workdir / "terraform")
            tf = tftest.TerraformTest(str(terraform.REPO_ROOT), binary=binary, env=process_env)
            # Later -var-file arguments win: the overrides come after envs/sandbox.tfvars.
            deployed = Stack(settings, tf, [*target.var_args(), f"-var-file={overrides}"])
            deployed.init(*target.init_args(), f"-backend-config=key={STATE_KEY}")
            applied = deployed
            deployed.apply()
            yield deployed
        finally:
            try:
                if applied is not None:
                    applied.destroy()  # after a failed apply too: whatever it created
            finally:
                sandbox.down(settings)
