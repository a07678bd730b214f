"""Plans of the root module, one per scenario, shared by every test of the session.

A plan takes seconds (the aws provider is a 700 MB binary), so each scenario
is planned once, when a test first asks for it.
"""

from __future__ import annotations

import pytest
from tfplan import DEV, ENVIRONMENTS, PROD, SANDBOX, STAGING, VARIANT, Plan, Scenario, Workspace


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("terraform-root"))


@pytest.fixture(scope="session")
def dev(workspace: Workspace) -> Plan:
    return workspace.plan(DEV)


@pytest.fixture(scope="session")
def staging(workspace: Workspace) -> Plan:
    return workspace.plan(STAGING)


@pytest.fixture(scope="session")
def prod(workspace: Workspace) -> Plan:
    return workspace.plan(PROD)


@pytest.fixture(scope="session")
def sandbox(workspace: Workspace) -> Plan:
    return workspace.plan(SANDBOX)


@pytest.fixture(scope="session")
def variant(workspace: Workspace) -> Plan:
    return workspace.plan(VARIANT)


@pytest.fixture(scope="session", params=sorted(ENVIRONMENTS))
def env_plan(request: pytest.FixtureRequest, workspace: Workspace) -> tuple[str, Plan]:
    """Each environment's plan in turn: (environment name, plan)."""
    name: str = request.param
    return name, workspace.plan(ENVIRONMENTS[name])


@pytest.fixture(scope="session")
def all_plans(workspace: Workspace) -> dict[str, Plan]:
    """Every scenario's plan, for checks that must hold everywhere."""
    scenarios: dict[str, Scenario] = {**ENVIRONMENTS, "variant": VARIANT}
    return {name: workspace.plan(scenario) for name, scenario in scenarios.items()}
