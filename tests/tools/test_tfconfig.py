"""Provider source selection: a local mirror when present, the registry otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from fileproc_tools import tfconfig


def make_mirror(root: Path) -> Path:
    (root / tfconfig.PROVIDER / "5.100.0" / "linux_amd64").mkdir(parents=True)
    return root


@pytest.fixture
def no_well_known(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tfconfig, "WELL_KNOWN_MIRRORS", (str(tmp_path / "absent"),))
    monkeypatch.setattr(tfconfig, "CONFIG_PATH", tmp_path / "build" / "terraformrc")
    monkeypatch.delenv(tfconfig.MIRROR_ENV, raising=False)


@pytest.mark.usefixtures("no_well_known")
def test_explicit_mirror_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path / "mirror")
    monkeypatch.setenv(tfconfig.MIRROR_ENV, str(mirror))
    config = tfconfig.write_config()
    assert config is not None
    text = config.read_text()
    assert f'path    = "{mirror.resolve()}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/aws"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in text
    assert tfconfig.terraform_env({})["TF_CLI_CONFIG_FILE"] == str(config)


@pytest.mark.usefixtures("no_well_known")
def test_explicit_mirror_without_the_provider_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(tfconfig.MIRROR_ENV, str(tmp_path))
    with pytest.raises(tfconfig.MirrorError, match="holds no registry"):
        tfconfig.find_mirror()
    assert tfconfig.main() == 2


@pytest.mark.usefixtures("no_well_known")
def test_well_known_mirror_found_automatically(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mirror = make_mirror(tmp_path / "plugins")
    monkeypatch.setattr(tfconfig, "WELL_KNOWN_MIRRORS", (str(tmp_path / "x"), str(mirror)))
    assert tfconfig.find_mirror() == mirror.resolve()


@pytest.mark.usefixtures("no_well_known")
def test_registry_when_no_mirror_or_forced(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert tfconfig.find_mirror() is None
    env = tfconfig.terraform_env({"TF_CLI_CONFIG_FILE": "/home/me/.terraformrc"})
    assert env["TF_CLI_CONFIG_FILE"] == "/home/me/.terraformrc"  # the user's own, untouched
    make_mirror(tmp_path / "absent")
    monkeypatch.setenv(tfconfig.MIRROR_ENV, "registry")
    assert tfconfig.find_mirror() is None
