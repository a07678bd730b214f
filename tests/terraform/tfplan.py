"""Offline plans of the root module, and a small reader for their JSON.

The root module is copied to a scratch directory with
``fixtures/offline_override.tf`` (local state, fake credentials, no AWS call)
and placeholder zips, initialised once per session; each scenario is planned
once and read many times. Nothing is written into the repository.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tftest

from fileproc_tools.tfconfig import REPO_ROOT, terraform_env

FIXTURES = Path(__file__).parent / "fixtures"
# The layers of `make build` (fileproc_tools.build.plan_layers over lambda_src/requirements.txt).
LAYERS = ("common", "image", "document", "data", "api")
OVERRIDE = FIXTURES / "offline_override.tf"


@dataclass(frozen=True)
class Scenario:
    """One plan: a tfvars file of envs/ and extra -var values."""

    var_file: str
    tf_vars: Mapping[str, Any] = field(default_factory=dict)


# --- the scenarios -------------------------------------------------------------------

DEV = Scenario("envs/dev.tfvars")
STAGING = Scenario("envs/staging.tfvars")
PROD = Scenario("envs/prod.tfvars")
SANDBOX = Scenario("envs/sandbox.tfvars", {"aws_endpoint_url": "http://127.0.0.1:4566"})
# dev with every option the environments leave off, and non-default values that
# must reach the resources: another region, a VPC, Bedrock, other limits, the
# other runtime, an API key managed outside Terraform.
VARIANT = Scenario(
    "envs/dev.tfvars",
    {
        "region": "eu-west-1",
        "lambda_runtime": "python3.13",
        "vpc_config": {"subnet_ids": ["subnet-0a1b2c3d"], "security_group_ids": ["sg-0a1b2c3d"]},
        # The default model: Claude Haiku 4.5's global inference profile.
        "bedrock": {"enabled": True},
        "noncurrent_version_expiration_days": 45,
        "max_receive_count": 7,
        "log_retention_days": 30,
        "functions": {
            "document": {
                "memory_mb": 3008,
                "timeout_seconds": 600,
                "batch_size": 20,
                "batching_window_seconds": 10,
            }
        },
        "api": {
            "throttle_rate_limit": 50,
            "throttle_burst_limit": 80,
            "stage_name": "live",
            # A key made outside Terraform: its value never enters the state.
            "external_api_key_id": "a1b2c3d4e5",
        },
    },
)

ENVIRONMENTS = {"dev": DEV, "staging": STAGING, "prod": PROD, "sandbox": SANDBOX}


def _offline_env() -> dict[str, str]:
    # No AWS_* setting of the caller (profile, endpoint, region) may reach the
    # provider: the override's fake credentials are the only ones.
    return {k: v for k, v in terraform_env().items() if not k.startswith("AWS_")}


def _placeholder_zip(path: Path, text: str = "") -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("placeholder.txt", f"plan tests only need a file to hash {text}\n")


class Workspace:
    """A scratch copy of the root module, initialised once, planned per scenario."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        for tf_file in REPO_ROOT.glob("*.tf"):
            shutil.copy2(tf_file, directory / tf_file.name)
        shutil.copytree(REPO_ROOT / "modules", directory / "modules")
        shutil.copytree(REPO_ROOT / "envs", directory / "envs")
        shutil.copy2(OVERRIDE, directory / OVERRIDE.name)
        zips = directory / "zips"
        zips.mkdir()
        self.function_zip = zips / "function.zip"
        # One per layer `make build` makes; each a different file, so a function given
        # another's layer would show in its hash.
        self.layer_zips = {name: zips / f"layer-{name}.zip" for name in LAYERS}
        _placeholder_zip(self.function_zip)
        for name, path in self.layer_zips.items():
            _placeholder_zip(path, name)
        self.console_zip = zips / "console.zip"
        _placeholder_zip(self.console_zip)
        binary = shutil.which("terraform")
        if binary is None:
            raise RuntimeError("terraform is not on PATH; the plan tests need the CLI")
        self.tf = tftest.TerraformTest(str(directory), binary=binary)
        self.tf.env = _offline_env()
        self.tf.init(input=False, color=False)
        self._plans: dict[str, Plan] = {}

    def _args(self, scenario: Scenario) -> dict[str, Any]:
        # The scenario's values go in a second var file: terraform lets later
        # var files override earlier ones, while tftest would put -var flags
        # before -var-file (where the tfvars would win).
        overrides = {
            "function_zip_path": str(self.function_zip),
            "layer_zip_paths": {name: str(path) for name, path in self.layer_zips.items()},
            "console": {"zip_path": str(self.console_zip)},
            **scenario.tf_vars,
        }
        text = json.dumps(overrides, sort_keys=True)
        path = (
            self.directory
            / f"scenario-{hashlib.sha256(text.encode()).hexdigest()[:12]}.tfvars.json"
        )
        path.write_text(text)
        return {"tf_var_file": [scenario.var_file, str(path)]}

    def plan(self, scenario: Scenario) -> Plan:
        key = json.dumps([scenario.var_file, scenario.tf_vars], sort_keys=True)
        if key not in self._plans:
            raw = self.tf.plan(output=True, input=False, color=False, **self._args(scenario))
            self._plans[key] = Plan(raw._raw)
        return self._plans[key]

    def plan_error(self, scenario: Scenario) -> str:
        """The output of a plan that must fail; AssertionError when it succeeds."""
        try:
            self.tf.plan(output=False, input=False, color=False, **self._args(scenario))
        except tftest.TerraformTestError as exc:
            # args[0] holds the command's output and error; terraform wraps
            # long messages, so whitespace is normalised for matching.
            return " ".join(str(exc.args[0]).split())
        raise AssertionError(f"the plan of {scenario} succeeded but must fail")

    def provider_schema(self) -> dict[str, Any]:
        out = self.tf.execute_command("providers", "schema", "-json").out
        schemas = json.loads(out)["provider_schemas"]
        return dict(schemas["registry.terraform.io/hashicorp/aws"]["resource_schemas"])


@dataclass(frozen=True)
class Resource:
    """A managed resource of the plan, as it will be after apply."""

    address: str
    module: str  # "compute" for module.compute, "" for the root
    type: str
    name: str
    index: Any
    values: dict[str, Any]
    unknown: dict[str, Any]  # after_unknown: True where known only after apply

    def is_unknown(self, attribute: str) -> bool:
        return self.unknown.get(attribute) is True


class Plan:
    """Read access to `terraform show -json` of a plan."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.resources: list[Resource] = []
        for change in raw.get("resource_changes", []):
            if change["mode"] != "managed":
                continue
            module = change.get("module_address", "")
            self.resources.append(
                Resource(
                    address=change["address"],
                    module=module.removeprefix("module."),
                    type=change["type"],
                    name=change["name"],
                    index=change.get("index"),
                    values=change["change"]["after"] or {},
                    unknown=change["change"]["after_unknown"] or {},
                )
            )

    # --- resources -------------------------------------------------------------------

    def of_type(self, resource_type: str, module: str | None = None) -> list[Resource]:
        """Resources of one type, of one module ("compute", "console[0]", "" for the root)
        or of all."""
        return [
            r
            for r in self.resources
            if r.type == resource_type and (module is None or r.module == module)
        ]

    def by_index(
        self, resource_type: str, name: str | None = None, module: str | None = None
    ) -> dict[Any, Resource]:
        """Resources of one type (and name), keyed by their for_each key or count index."""
        return {
            r.index: r
            for r in self.of_type(resource_type, module)
            if name is None or r.name == name
        }

    def one(
        self, resource_type: str, name: str | None = None, module: str | None = None
    ) -> Resource:
        found = [r for r in self.of_type(resource_type, module) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {resource_type}.{name}, found {len(found)}"
        return found[0]

    def data_read_at_apply(self, address: str) -> dict[str, Any]:
        """What the plan knows of a data source read only at apply (it depends on an
        unknown value): its `after` values, the unknown ones absent."""
        for change in self.raw.get("resource_changes", []):
            if change["mode"] == "data" and change["address"] == address:
                return dict(change["change"]["after"] or {})
        raise KeyError(f"{address} is not read at apply")

    def count(self, resource_type: str) -> int:
        return len(self.of_type(resource_type))

    # --- outputs ----------------------------------------------------------------------

    @property
    def output_names(self) -> set[str]:
        return set(self.raw.get("output_changes", {}))

    def output(self, name: str) -> Any:
        change = self.raw["output_changes"][name]
        assert change["after_unknown"] is not True, f"output {name} is unknown at plan time"
        return change["after"]

    def output_is_sensitive(self, name: str) -> bool:
        config = self.raw["configuration"]["root_module"]["outputs"][name]
        return bool(config.get("sensitive"))

    # --- configuration (for values only known after apply) --------------------------

    def config_resource(self, module: str, address: str) -> dict[str, Any]:
        """The configuration of `address` (e.g. "aws_lambda_permission.api") in a module."""
        root = self.raw["configuration"]["root_module"]
        config = root["module_calls"][module]["module"] if module else root
        for resource in config.get("resources", []):
            if resource["address"] == address:
                return dict(resource)
        raise KeyError(f"{address} not in module {module!r}")

    def references(self, module: str, address: str, attribute: str) -> set[str]:
        """What an attribute's expression refers to (variables, resources, locals)."""
        expression = self.config_resource(module, address)["expressions"].get(attribute, {})
        return set(_references(expression))

    def module_input_references(self, module: str, variable: str) -> set[str]:
        call = self.raw["configuration"]["root_module"]["module_calls"][module]
        return set(call["expressions"].get(variable, {}).get("references", []))


def _references(expression: Any) -> Iterator[str]:
    if isinstance(expression, dict):
        yield from expression.get("references", [])
        for value in expression.values():
            if isinstance(value, dict | list):
                yield from _references(value)
    elif isinstance(expression, list):
        for item in expression:
            yield from _references(item)


# --- IAM policy documents ------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    sid: str
    effect: str
    actions: frozenset[str]
    resources: frozenset[str]
    principals: Mapping[str, frozenset[str]]
    conditions: Mapping[str, Mapping[str, Any]]


def _as_set(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    return frozenset([value] if isinstance(value, str) else value)


def statements(policy: str) -> list[Statement]:
    document = json.loads(policy)
    raw = document["Statement"]
    result = []
    for item in [raw] if isinstance(raw, dict) else raw:
        principal = item.get("Principal", {})
        principals = (
            {"*": frozenset(["*"])}
            if principal == "*"
            else {kind: _as_set(ids) for kind, ids in principal.items()}
        )
        result.append(
            Statement(
                sid=item.get("Sid", ""),
                effect=item["Effect"],
                actions=_as_set(item.get("Action")),
                resources=_as_set(item.get("Resource")),
                principals=principals,
                conditions=item.get("Condition", {}),
            )
        )
    return result


# --- repository facts the Terraform must agree with ---------------------------------


def contract_environment_variables() -> dict[str, str]:
    """The environment-variables table of docs/contracts.md: name -> meaning."""
    text = (REPO_ROOT / "docs" / "contracts.md").read_text()
    section = text.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|[^|]*\|(.*)\|$", section, re.MULTILINE)
    return {name: meaning.strip() for name, meaning in rows}


def backend_settings(env: str) -> dict[str, str]:
    """The `key = value` lines of envs/<env>.backend.hcl, comments dropped."""
    settings = {}
    for line in (REPO_ROOT / "envs" / f"{env}.backend.hcl").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            settings[key] = value.strip('"')
    return settings
