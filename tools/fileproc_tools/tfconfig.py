"""Choose the Terraform CLI configuration: a local provider mirror when one exists.

Machines without internet access (CI here) carry a filesystem mirror of the
hashicorp/aws provider; everyone else uses the public registry. The choice:

1. ``FILEPROC_TF_MIRROR=<dir>`` uses that mirror (an error if it holds no
   hashicorp/aws); ``FILEPROC_TF_MIRROR=registry`` forces the public registry.
2. Otherwise the first well-known plugin directory that holds hashicorp/aws.
3. Otherwise the registry, with the user's own ``TF_CLI_CONFIG_FILE`` untouched.

``python -m fileproc_tools.tfconfig`` writes the configuration under
``build/`` and prints its path (or nothing when the registry is used), which
the Makefile exports as ``TF_CLI_CONFIG_FILE``; the tests call ``terraform_env``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

MIRROR_ENV = "FILEPROC_TF_MIRROR"
PROVIDER = "registry.terraform.io/hashicorp/aws"
WELL_KNOWN_MIRRORS = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_PATH = REPO_ROOT / "build" / "terraformrc"


class MirrorError(Exception):
    """FILEPROC_TF_MIRROR names a directory without the aws provider."""


def _holds_aws(path: Path) -> bool:
    return (path / PROVIDER).is_dir()


def find_mirror() -> Path | None:
    """The provider mirror to use, or None for the public registry."""
    chosen = os.environ.get(MIRROR_ENV, "").strip()
    if chosen == "registry":
        return None
    if chosen:
        path = Path(chosen).expanduser().resolve()
        if not _holds_aws(path):
            raise MirrorError(
                f"{MIRROR_ENV}={chosen} holds no {PROVIDER}/<version>/<os_arch>/ "
                "(an unpacked filesystem mirror); fix the path or unset it"
            )
        return path
    for candidate in WELL_KNOWN_MIRRORS:
        path = Path(candidate).expanduser()
        if _holds_aws(path):
            return path.resolve()
    return None


def render(mirror: Path) -> str:
    # Only hashicorp/aws comes from the mirror; any other provider would still
    # be fetched from its registry (this project uses no other).
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        f'    include = ["{PROVIDER}"]\n'
        "  }\n"
        "  direct {\n"
        f'    exclude = ["{PROVIDER}"]\n'
        "  }\n"
        "}\n"
    )


def write_config() -> Path | None:
    """Write the CLI configuration for the mirror; None when the registry is used."""
    mirror = find_mirror()
    if mirror is None:
        return None
    CONFIG_PATH.parent.mkdir(parents=True, exist_ok=True)
    text = render(mirror)
    if not CONFIG_PATH.exists() or CONFIG_PATH.read_text() != text:
        CONFIG_PATH.write_text(text)
    return CONFIG_PATH


def terraform_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment for running terraform with the chosen provider source."""
    env = dict(os.environ if base is None else base)
    config = write_config()
    if config is not None:
        env["TF_CLI_CONFIG_FILE"] = str(config)
    env.setdefault("TF_IN_AUTOMATION", "1")
    return env


def main() -> int:
    try:
        config = write_config()
    except MirrorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if config is not None:
        print(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
