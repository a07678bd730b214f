"""Where the CLI finds the API URL and key: options, then environment, then the outputs file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fileproc_cli import ConfigError, resolve

FILE_URL = "http://127.0.0.1:4567/abc123/sandbox"


def write_outputs(directory: Path, env: str = "sandbox", **values: object) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"outputs-{env}.json"
    path.write_text(json.dumps(values))
    return path


def test_options_win_over_environment_and_file(isolated: Path) -> None:
    write_outputs(isolated, api_url=FILE_URL, api_key_value="file-key")
    environ = {"FILEPROC_API_URL": "http://env.example", "FILEPROC_API_KEY": "env-key"}
    found = resolve("https://option.example/prod/", "option-key", environ=environ)
    assert (found.url, found.key) == ("https://option.example/prod", "option-key")


def test_environment_wins_over_file(isolated: Path) -> None:
    write_outputs(isolated, api_url=FILE_URL, api_key_value="file-key")
    environ = {"FILEPROC_API_URL": "http://env.example/v1", "FILEPROC_API_KEY": "env-key"}
    found = resolve(environ=environ)
    assert (found.url, found.key) == ("http://env.example/v1", "env-key")


def test_each_setting_falls_back_on_its_own(isolated: Path) -> None:
    write_outputs(isolated, api_url=FILE_URL, api_key_value="file-key")
    found = resolve(api_url="http://option.example", environ={})
    assert (found.url, found.key) == ("http://option.example", "file-key")
    found = resolve(environ={"FILEPROC_API_KEY": "env-key"})
    assert (found.url, found.key) == (FILE_URL, "env-key")


def test_the_env_option_chooses_the_outputs_file(isolated: Path) -> None:
    write_outputs(isolated, env="dev", api_url="https://dev.example/dev", api_key_value="dev-key")
    found = resolve(env="dev", environ={})
    assert (found.url, found.key) == ("https://dev.example/dev", "dev-key")


def test_the_file_is_not_read_when_options_say_everything(isolated: Path) -> None:
    isolated.mkdir(parents=True)
    (isolated / "outputs-sandbox.json").write_text("{not json")
    assert resolve("http://a.example", "k", environ={}).key == "k"
    with pytest.raises(ConfigError, match=r"outputs-sandbox.json is not valid JSON"):
        resolve("http://a.example", environ={})


def test_missing_key_says_every_way_to_give_one(isolated: Path) -> None:
    write_outputs(isolated, api_url=FILE_URL)  # deployed, but no key output
    with pytest.raises(ConfigError) as raised:
        resolve(environ={})
    path = isolated / "outputs-sandbox.json"
    assert str(raised.value) == (
        "no API key: pass --api-key, set FILEPROC_API_KEY, or deploy the sandbox "
        f"(make deploy ENV=sandbox) so {path} has one"
    )


def test_nothing_deployed_means_no_url(isolated: Path) -> None:
    with pytest.raises(ConfigError, match=r"^no API URL: pass --api-url, set FILEPROC_API_URL"):
        resolve(environ={})


def test_messages_name_a_real_environment(isolated: Path) -> None:
    with pytest.raises(ConfigError, match=r"make deploy ENV=staging / make outputs ENV=staging"):
        resolve(api_url="https://x.example", env="staging", environ={})


def test_a_relative_path_is_shown_from_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FILEPROC_SANDBOX_DIR", str(tmp_path / ".sandbox"))
    with pytest.raises(ConfigError, match=r"so \.sandbox/outputs-sandbox\.json has one$"):
        resolve(environ={})


def test_url_must_be_http(isolated: Path) -> None:
    with pytest.raises(ConfigError, match="must start with http:// or https://"):
        resolve("file:///etc/passwd", "k", environ={})


def test_repr_hides_the_key() -> None:
    found = resolve("http://a.example", "secret-value", environ={})
    assert "secret-value" not in repr(found)
