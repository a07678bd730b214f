"""Fixtures of the API tests: an app wired to moto, and a log of its DynamoDB calls."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aws_lambda_powertools import Metrics

from fileproc.api.app import ApiResolver, create_app
from fileproc.api.presign import make_s3_client
from fileproc.config import Settings

from .api_helpers import Reply, call, rest_event


@dataclass
class DynamoCalls:
    """Every DynamoDB operation the app made, with its parameters and answer."""

    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def reset(self) -> None:
        self.requests.clear()
        self.responses.clear()

    def names(self) -> list[str]:
        return [name for name, _ in self.requests]

    def of(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.requests if name == operation]

    def answers(self, operation: str) -> list[dict[str, Any]]:
        return [parsed for name, parsed in self.responses if name == operation]


@dataclass
class Api:
    app: ApiResolver
    settings: Settings
    aws: Any
    dynamo: DynamoCalls
    s3: Any

    def request(self, method: str, path: str, **kwargs: Any) -> Reply:
        return call(self.app, rest_event(method, path, **kwargs))

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Reply:
        return self.request("POST", path, **kwargs)


@pytest.fixture
def make_api(aws: Any) -> Iterator[Callable[..., Api]]:
    """An API on moto; keyword arguments override settings from the functions' environment."""
    metrics = Metrics()

    def build(**overrides: Any) -> Api:
        settings = dataclasses.replace(Settings.from_env(), **overrides)
        dynamo = DynamoCalls()
        events = aws.dynamodb.meta.events
        events.register(
            "provide-client-params.dynamodb",
            lambda params, model, **_: dynamo.requests.append((model.name, dict(params))),
        )
        events.register(
            "after-call.dynamodb",
            lambda parsed, model, **_: dynamo.responses.append((model.name, parsed)),
        )
        s3 = make_s3_client()
        app = create_app(settings, aws.dynamodb, s3, metrics)
        return Api(app=app, settings=settings, aws=aws, dynamo=dynamo, s3=s3)

    yield build
    metrics.clear_metrics()


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()
