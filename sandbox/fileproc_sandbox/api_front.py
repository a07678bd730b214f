"""The sandbox's API Gateway: serves the deployed REST APIs on loopback.

A request to ``http://127.0.0.1:<api port>/<api id>/<stage>/<path>`` (on AWS:
``https://<api id>.execute-api.<region>.amazonaws.com/<stage>/<path>``) goes
through what API Gateway does with the configuration Terraform deployed, read
from the emulator's API Gateway (resources, methods, integrations, validators,
models, gateway responses, API keys and usage plans; refreshed every
``CATALOG_TTL_SECONDS``):

1. the route: the resource whose path template matches (literal segments before
   ``{param}`` before ``{proxy+}``) and its method or ``ANY``; none:
   403 ``Missing Authentication Token``;
2. the API key, when the method requires one: an enabled key, from the
   ``x-api-key`` header, in a usage plan of this API and stage; else 403;
3. throttling and quota: the usage plan's (per key) and the stage's default
   method settings, as token buckets: 429;
4. the request validator: required parameters and the JSON-schema body model: 400;
5. the integration: ``AWS_PROXY`` runs the function (``lambda_runner.LambdaService``)
   with a REST proxy event (payload version 1.0) and turns its response into
   HTTP (502 when it fails or is malformed, 504 after the integration timeout);
   ``MOCK`` answers with its integration response, whose response template runs
   as VTL (``render_template``: the CORS preflight names an allowed origin).

Errors use the API's gateway responses (status, headers and the
``$context.error.*`` templates) when it defines them, API Gateway's defaults
otherwise. Every answer is JSON, as API Gateway's: a method no REST API can have
(TRACE, CONNECT, made-up ones) has no route, a body nested too deep to parse is
an invalid body, http.server's own refusals and a fault of the front are JSON too.
Not emulated: authorizers other than NONE, mapping templates of non-proxy
AWS/HTTP integrations, caching, access logs, deployment snapshots (the live
resources are served).
"""

from __future__ import annotations

import base64
import concurrent.futures
import fnmatch
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import jsonschema  # type: ignore[import-untyped]
from botocore.exceptions import ClientError

from fileproc_sandbox.credentials import ACCOUNT_ID
from fileproc_sandbox.lambda_runner import LambdaService, aws_client

log = logging.getLogger("fileproc.sandbox.api")

CATALOG_TTL_SECONDS = 2.0
DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000

# API Gateway's gateway response types: default status and message.
RESPONSE_DEFAULTS = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "INVALID_API_KEY": (403, "Forbidden"),
    "THROTTLED": (429, "Too Many Requests"),
    "QUOTA_EXCEEDED": (429, "Limit Exceeded"),
    "BAD_REQUEST_PARAMETERS": (400, "Missing required request parameters"),
    "BAD_REQUEST_BODY": (400, "Invalid request body"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "INTEGRATION_FAILURE": (502, "Internal server error"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Unsupported Media Type"),
    # What API Gateway answers when its own configuration fails; here: a bug of the front.
    "API_CONFIGURATION_ERROR": (500, "Internal server error"),
}
# The methods a REST API can have (ANY stands for all of them); API Gateway routes no
# other (TRACE, CONNECT, made-up ones): no route, its MISSING_AUTHENTICATION_TOKEN.
HTTP_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


# ---------------------------------------------------------------- the deployed API


@dataclass(frozen=True)
class Method:
    resource_id: str
    resource_path: str
    http_method: str
    api_key_required: bool
    request_parameters: Mapping[str, bool]
    request_models: Mapping[str, str]
    request_validator_id: str | None
    integration: Mapping[str, Any]


@dataclass(frozen=True)
class UsagePlan:
    id: str
    key_ids: frozenset[str]
    throttle: Mapping[str, Any]
    quota: Mapping[str, Any]


@dataclass
class Api:
    """One REST API as deployed: what the front needs to serve it."""

    id: str
    region: str
    binary_media_types: tuple[str, ...]
    stages: dict[str, Mapping[str, Any]]
    routes: list[tuple[tuple[str, ...], dict[str, Method]]]  # path segments, methods
    validators: dict[str, Mapping[str, Any]]
    models: dict[str, Any]  # name -> JSON schema
    gateway_responses: dict[str, Mapping[str, Any]]
    keys: dict[str, Mapping[str, Any]]  # key value -> ApiKey
    plans: dict[str, list[UsagePlan]]  # stage -> usage plans of this API and stage
    loaded_at: float = field(default_factory=time.monotonic)

    def route(self, http_method: str, segments: list[str]) -> tuple[Method, dict[str, str]] | None:
        matches = []
        for template, methods in self.routes:
            params = _match_path(template, segments)
            method = methods.get(http_method) or methods.get("ANY")
            if params is not None and method is not None:
                matches.append((_specificity(template), method, params))
        if not matches:
            return None
        _, method, params = min(matches, key=lambda found: found[0])
        return method, params


def _match_path(template: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for i, part in enumerate(template):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[i:]
            if not rest:
                return None
            params[part[1:-2]] = "/".join(rest)
            return params
        if i >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = segments[i]
        elif part != segments[i]:
            return None
    return params if len(template) == len(segments) else None


def _specificity(template: tuple[str, ...]) -> tuple[int, ...]:
    """Literal segments win over {param}, which wins over {greedy+}."""
    return tuple(2 if p.endswith("+}") else 1 if p.startswith("{") else 0 for p in template)


def load_api(client: Any, api_id: str, region: str) -> Api:
    rest_api = client.get_rest_api(restApiId=api_id)
    stages = {s["stageName"]: s for s in client.get_stages(restApiId=api_id)["item"]}
    routes = []
    for page in client.get_paginator("get_resources").paginate(restApiId=api_id, embed=["methods"]):
        for resource in page["items"]:
            methods = {
                verb: Method(
                    resource_id=resource["id"],
                    resource_path=resource["path"],
                    http_method=verb,
                    api_key_required=bool(spec.get("apiKeyRequired")),
                    request_parameters=spec.get("requestParameters") or {},
                    request_models=spec.get("requestModels") or {},
                    request_validator_id=spec.get("requestValidatorId"),
                    integration=spec.get("methodIntegration") or {},
                )
                for verb, spec in (resource.get("resourceMethods") or {}).items()
            }
            segments = tuple(part for part in resource["path"].split("/") if part)
            routes.append((segments, methods))
    validators = {v["id"]: v for v in client.get_request_validators(restApiId=api_id)["items"]}
    models = {
        m["name"]: json.loads(m["schema"])
        for m in client.get_models(restApiId=api_id)["items"]
        if m.get("schema")
    }
    responses = {
        r["responseType"]: r for r in client.get_gateway_responses(restApiId=api_id)["items"]
    }
    keys = {
        k["value"]: k
        for page in client.get_paginator("get_api_keys").paginate(includeValues=True)
        for k in page["items"]
    }
    plans: dict[str, list[UsagePlan]] = {}
    for plan in client.get_usage_plans()["items"]:
        covered = [s["stage"] for s in plan.get("apiStages", []) if s["apiId"] == api_id]
        if not covered:
            continue
        key_ids = frozenset(
            k["id"] for k in client.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
        )
        usage_plan = UsagePlan(
            plan["id"], key_ids, plan.get("throttle") or {}, plan.get("quota") or {}
        )
        for stage in covered:
            plans.setdefault(stage, []).append(usage_plan)
    return Api(
        id=api_id,
        region=region,
        binary_media_types=tuple(rest_api.get("binaryMediaTypes") or ()),
        stages=stages,
        routes=routes,
        validators=validators,
        models=models,
        gateway_responses=responses,
        keys=keys,
        plans=plans,
    )


class ApiCatalog:
    """The deployed APIs, re-read from the emulator at most every CATALOG_TTL_SECONDS."""

    def __init__(self, endpoint: str, regions: Callable[[], Iterable[str]]) -> None:
        self._endpoint = endpoint
        self._regions = regions
        self._clients: dict[str, Any] = {}
        self._apis: dict[str, Api] = {}
        self._lock = threading.Lock()

    def _client(self, region: str) -> Any:
        if region not in self._clients:
            self._clients[region] = aws_client("apigateway", self._endpoint, region)
        return self._clients[region]

    def get(self, api_id: str) -> Api | None:
        with self._lock:
            cached = self._apis.get(api_id)
            if cached and time.monotonic() - cached.loaded_at < CATALOG_TTL_SECONDS:
                return cached
            regions = [cached.region] if cached else list(self._regions())
            for region in regions:
                try:
                    api = load_api(self._client(region), api_id, region)
                except ClientError as exc:
                    if exc.response["Error"]["Code"] != "NotFoundException":
                        raise
                    continue
                self._apis[api_id] = api
                return api
            self._apis.pop(api_id, None)
            return None


# ---------------------------------------------------------------- throttling


class TokenBucket:
    """API Gateway's throttle: a steady rate with a burst capacity."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._tokens = float(burst)
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


class Limits:
    """Throttles and quotas by usage plan and key, and by stage."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[Any, ...], TokenBucket] = {}
        self._quotas: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()

    def _bucket(self, key: tuple[Any, ...], rate: float, burst: int) -> TokenBucket:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
                bucket = self._buckets[key] = TokenBucket(rate, burst)
            return bucket

    def throttled(
        self, key: tuple[Any, ...], settings: Mapping[str, Any], rate: str, burst: str
    ) -> bool:
        if settings.get(rate) is None or settings.get(burst) is None:
            return False
        if float(settings[rate]) < 0 or int(settings[burst]) < 0:
            return False  # -1: no throttling set at this level
        return not self._bucket(key, float(settings[rate]), int(settings[burst])).take()

    def over_quota(self, plan: UsagePlan, key_id: str) -> bool:
        limit, period = plan.quota.get("limit"), plan.quota.get("period")
        if not limit or not period:
            return False
        window = time.strftime(
            {"DAY": "%Y-%j", "WEEK": "%Y-%W", "MONTH": "%Y-%m"}[period], time.gmtime()
        )
        with self._lock:
            used = self._quotas.get((plan.id, key_id, window), 0)
            if used >= int(limit):
                return True
            self._quotas[(plan.id, key_id, window)] = used + 1
            return False


# ---------------------------------------------------------------- requests and responses


@dataclass
class Request:
    method: str
    path: str  # after the stage, decoded, starting with '/'
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[-1] if found else None


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class GatewayError(Exception):
    def __init__(self, response_type: str, message: str | None = None, detail: str = "") -> None:
        self.response_type = response_type
        self.message = message or RESPONSE_DEFAULTS[response_type][1]
        self.detail = detail  # $context.error.validationErrorString
        super().__init__(self.message)


def gateway_response(
    api: Api | None, error: GatewayError, request: Request, request_id: str
) -> Response:
    """The error as the API's gateway responses say, or API Gateway's default."""
    status, _ = RESPONSE_DEFAULTS[error.response_type]
    configured: Mapping[str, Any] = {}
    if api is not None:
        default_type = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
        configured = (
            api.gateway_responses.get(error.response_type)
            or api.gateway_responses.get(default_type)
            or {}
        )
    context = {
        "error.message": error.message,
        "error.messageString": json.dumps(error.message),
        "error.responseType": error.response_type,
        "error.validationErrorString": error.detail,
        "requestId": request_id,
        "extendedRequestId": request_id,
    }
    template = (configured.get("responseTemplates") or {}).get("application/json")
    if template:
        # $context.x or ${context.x}; a "}" after the bare form belongs to the JSON.
        body = re.sub(
            r"\$(?:\{context\.([A-Za-z.]+)\}|context\.([A-Za-z.]+))",
            lambda m: str(context.get(m[1] or m[2], "")),
            template,
        )
    else:
        body = json.dumps({"message": error.message})
    headers = [("Content-Type", "application/json")]
    for name, value in (configured.get("responseParameters") or {}).items():
        headers.append(
            (name.removeprefix("gatewayresponse.header."), _parameter_value(value, request))
        )
    return Response(int(configured.get("statusCode") or status), headers, body.encode())


def _parameter_value(expression: str, request: Request) -> str:
    """A static 'value' or a method.request.header/querystring mapping."""
    if expression.startswith("'") and expression.endswith("'"):
        return expression[1:-1]
    for prefix, source in (
        ("method.request.header.", request.headers),
        ("method.request.querystring.", request.query),
    ):
        if expression.startswith(prefix):
            name = expression[len(prefix) :]
            values = [v for k, v in source if k.lower() == name.lower()]
            return values[-1] if values else ""
    return ""


def proxy_event(
    api: Api,
    stage: str,
    method: Method,
    params: dict[str, str],
    request: Request,
    request_id: str,
    key: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The REST API proxy integration event, payload format 1.0."""
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        multi_headers.setdefault(name, []).append(value)
    multi_headers.setdefault("X-Forwarded-For", [request.source_ip])
    multi_headers.setdefault("X-Forwarded-Proto", ["https"])
    multi_query: dict[str, list[str]] = {}
    for name, value in request.query:
        multi_query.setdefault(name, []).append(value)
    content_type = (request.header("Content-Type") or "").split(";")[0].strip()
    binary = any(fnmatch.fnmatch(content_type, t) for t in api.binary_media_types)
    if not request.body:
        body = None
    elif binary:
        body = base64.b64encode(request.body).decode()
    else:
        body = request.body.decode("utf-8", "replace")
    now = time.time()
    return {
        "resource": method.resource_path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": {k: v[-1] for k, v in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": params or None,
        "stageVariables": dict(api.stages[stage].get("variables") or {}) or None,
        "requestContext": {
            "resourceId": method.resource_id,
            "resourcePath": method.resource_path,
            "httpMethod": request.method,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{stage}{request.path}",
            "accountId": ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": api.id,
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": request.source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": request.header("User-Agent"),
                "user": None,
                "apiKey": key["value"] if key else None,
                "apiKeyId": key["id"] if key else None,
            },
            "domainName": f"{api.id}.execute-api.{api.region}.amazonaws.com",
            "apiId": api.id,
        },
        "body": body,
        "isBase64Encoded": bool(body) and binary,
    }


def proxy_response(payload: Any) -> Response:
    """The function's proxy response as HTTP; GatewayError when it is malformed."""
    if not isinstance(payload, dict):
        raise GatewayError("INTEGRATION_FAILURE", detail="Malformed Lambda proxy response")
    try:
        status = int(payload.get("statusCode", 200))
    except (TypeError, ValueError):
        raise GatewayError(
            "INTEGRATION_FAILURE", detail="Malformed Lambda proxy response"
        ) from None
    headers = [(str(k), str(v)) for k, v in (payload.get("headers") or {}).items()]
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        headers += [(str(name), str(v)) for v in values]
    body = payload.get("body")
    if body is None:
        data = b""
    elif payload.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = str(body).encode()
    return Response(status, headers, data)


def mock_response(method: Method, request: Request, params: Mapping[str, str]) -> Response:
    """A MOCK integration: the request template picks the integration response by status;
    its response template runs as API Gateway runs it (VTL, with $input.params() and
    $context.responseOverride)."""
    integration = method.integration
    template = (integration.get("requestTemplates") or {}).get("application/json") or "{}"
    try:
        wanted = str(json.loads(template).get("statusCode", 200))
    except (ValueError, AttributeError):
        wanted = "200"
    responses = integration.get("integrationResponses") or {}
    chosen: Mapping[str, Any] = responses.get(wanted) or next(
        iter(responses.values()), {"statusCode": wanted}
    )
    headers = [
        (name.removeprefix("method.response.header."), _parameter_value(value, request))
        for name, value in (chosen.get("responseParameters") or {}).items()
    ]
    status = int(chosen.get("statusCode", wanted))
    response_template = (chosen.get("responseTemplates") or {}).get("application/json")
    if not response_template:
        return Response(status, headers, b"")
    body, override = render_template(response_template, request, params)
    for name, value in (override.get("header") or {}).items():
        headers = [(k, v) for k, v in headers if k.lower() != str(name).lower()]
        headers.append((str(name), str(value)))
    if override.get("status"):
        status = int(override["status"])
    headers.append(("Content-Type", "application/json"))
    return Response(status, headers, body.encode())


class _Params(dict[str, str]):
    """$input.params().header and the like: a missing name reads as empty. API Gateway gives
    null, which VTL's `!` takes as false; airspeed's `!null` is false, its `!""` true."""

    def get(self, name: str, default: str = "") -> str:  # type: ignore[override]
        return super().get(name, default)


# A list literal with a method call ("[...].contains($x)"): API Gateway's VTL has it,
# airspeed's parser not; each literal becomes a variable bound to the parsed list.
_LIST_LITERAL = re.compile(r'\[(?:\s*(?:"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)\s*,?)*\s*\](?=\.)')


def render_template(
    template: str, request: Request, params: Mapping[str, str]
) -> tuple[str, dict[str, Any]]:
    """A mapping template's output and its $context.responseOverride, rendered with airspeed
    (LocalStack's maintained fork of the Velocity engine, made for API Gateway templates)."""
    import airspeed  # type: ignore[import-untyped]

    literals: dict[str, Any] = {}

    def bind(match: re.Match[str]) -> str:
        name = f"sandboxLiteral{len(literals)}"
        literals[name] = json.loads(match[0])
        return f"${name}"

    source = _LIST_LITERAL.sub(bind, template)
    request_params = {
        "header": _Params(request.headers),
        "querystring": _Params(request.query),
        "path": _Params(params.items()),
    }
    override: dict[str, Any] = {"header": {}, "status": None}
    namespace = {
        **literals,
        "input": {
            "params": lambda name=None: (
                request_params
                if name is None
                else next((p[name] for p in request_params.values() if name in p), "")
            ),
            "body": request.body.decode("utf-8", "replace"),
        },
        "context": {"responseOverride": override, "httpMethod": request.method},
    }
    try:
        body = airspeed.Template(source).merge(namespace)
    except Exception as exc:  # API Gateway answers a template it cannot run with a 500
        raise GatewayError("API_CONFIGURATION_ERROR", detail=str(exc)) from None
    return str(body), override


# ---------------------------------------------------------------- the front


class ApiGateway:
    """Serves one request against the deployed APIs (no HTTP here: easy to test)."""

    def __init__(self, catalog: ApiCatalog, lambda_service: LambdaService) -> None:
        self.catalog = catalog
        self.lambda_service = lambda_service
        self.limits = Limits()
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=16, thread_name_prefix="api-invoke"
        )

    def handle(self, api_id: str, stage: str, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        api = None
        try:
            api = self.catalog.get(api_id)
            if api is None or stage not in api.stages:
                raise GatewayError("MISSING_AUTHENTICATION_TOKEN", "Forbidden")
            response = self._serve(api, stage, request, request_id)
        except GatewayError as error:
            response = gateway_response(api, error, request, request_id)
        except Exception:
            # A fault of the front, not of the caller: the 5xx JSON API Gateway gives for its
            # own failures, never a dropped connection.
            log.exception("%s %s: the API front failed", request.method, request.path)
            failure = GatewayError("API_CONFIGURATION_ERROR")
            response = gateway_response(api, failure, request, request_id)
        response.headers.append(("x-amzn-RequestId", request_id))
        return response

    def _serve(self, api: Api, stage: str, request: Request, request_id: str) -> Response:
        if len(request.body) > MAX_PAYLOAD_BYTES:
            raise GatewayError("REQUEST_TOO_LARGE")
        segments = [unquote(s) for s in request.path.split("/") if s]
        found = api.route(request.method, segments) if request.method in HTTP_METHODS else None
        if found is None:
            raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
        method, params = found
        key = self._check_key(api, stage, method, request)
        self._check_stage_throttle(api, stage)
        self._validate(api, method, params, request)
        integration_type = method.integration.get("type")
        if integration_type == "MOCK":
            return mock_response(method, request, params)
        if integration_type != "AWS_PROXY":
            log.error(
                "%s %s: integration %s is not emulated",
                request.method,
                method.resource_path,
                integration_type,
            )
            raise GatewayError("INTEGRATION_FAILURE")
        event = proxy_event(api, stage, method, params, request, request_id, key)
        return self._invoke(method, event)

    def _check_key(
        self, api: Api, stage: str, method: Method, request: Request
    ) -> Mapping[str, Any] | None:
        value = request.header("x-api-key")
        key = api.keys.get(value or "")
        if not method.api_key_required:
            return key
        plans = [p for p in api.plans.get(stage, []) if key and key["id"] in p.key_ids]
        if key is None or not key.get("enabled") or not plans:
            raise GatewayError("INVALID_API_KEY")
        for plan in plans:
            if self.limits.throttled(
                ("plan", plan.id, key["id"]), plan.throttle, "rateLimit", "burstLimit"
            ):
                raise GatewayError("THROTTLED")
            if self.limits.over_quota(plan, key["id"]):
                raise GatewayError("QUOTA_EXCEEDED")
        return key

    def _check_stage_throttle(self, api: Api, stage: str) -> None:
        settings = (api.stages[stage].get("methodSettings") or {}).get("*/*") or {}
        if self.limits.throttled(
            ("stage", api.id, stage), settings, "throttlingRateLimit", "throttlingBurstLimit"
        ):
            raise GatewayError("THROTTLED")

    def _validate(self, api: Api, method: Method, params: dict[str, str], request: Request) -> None:
        validator = api.validators.get(method.request_validator_id or "")
        if not validator:
            return
        if validator.get("validateRequestParameters"):
            missing = []
            for name, required in method.request_parameters.items():
                where, _, param = name.removeprefix("method.request.").partition(".")
                present = {
                    "querystring": any(k == param for k, _ in request.query),
                    "header": request.header(param) is not None,
                    "path": param in params,
                }.get(where, True)
                if required and not present:
                    missing.append(param)
            if missing:
                message = f"Missing required request parameters: [{', '.join(missing)}]"
                raise GatewayError("BAD_REQUEST_PARAMETERS", message, message)
        if validator.get("validateRequestBody") and method.request_models:
            content_type = (request.header("Content-Type") or "application/json").split(";")[0]
            model = method.request_models.get(content_type) or method.request_models.get("$default")
            schema = api.models.get(model or "")
            if schema is None:
                return
            try:
                jsonschema.validate(json.loads(request.body or b"null"), schema)
            # RecursionError: thousands of nested levels, which API Gateway refuses as invalid.
            except (ValueError, RecursionError, jsonschema.ValidationError) as exc:
                detail = f"[{getattr(exc, 'message', str(exc))}]"
                raise GatewayError("BAD_REQUEST_BODY", detail=detail) from None

    def _invoke(self, method: Method, event: dict[str, Any]) -> Response:
        # arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations
        uri = method.integration.get("uri", "")
        match = re.search(r"functions/(arn:[^/]+)/invocations", uri)
        if not match:
            raise GatewayError("INTEGRATION_FAILURE", detail=f"not a Lambda URI: {uri}")
        timeout = (
            int(method.integration.get("timeoutInMillis") or DEFAULT_INTEGRATION_TIMEOUT_MS) / 1000
        )
        future = self._pool.submit(self.lambda_service.invoke, match[1], event)
        try:
            result = future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            raise GatewayError("INTEGRATION_TIMEOUT") from None
        if not result.ok:
            log.warning("%s failed: %s", match[1], result.error)
            raise GatewayError("INTEGRATION_FAILURE")
        return proxy_response(result.payload)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class ApiFront:
    """The HTTP server on loopback in front of ``ApiGateway``."""

    def __init__(
        self,
        host: str,
        port: int,
        endpoint: str,
        lambda_service: LambdaService,
        regions: Callable[[], Iterable[str]],
    ) -> None:
        self.gateway = ApiGateway(ApiCatalog(endpoint, regions), lambda_service)
        self.server = ThreadingHTTPServer((host, port), _handler_class(self.gateway))
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"

    def api_url(self, api_id: str, stage: str) -> str:
        return f"{self.url}/{api_id}/{stage}"

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def shutdown(self) -> None:
        """Stop serving (from another thread than the one in serve_forever)."""
        self.gateway.shutdown()
        self.server.shutdown()
        self.server.server_close()


def _handler_class(gateway: ApiGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "fileproc-sandbox-apigateway"

        def _handle(self) -> None:
            url = urlsplit(self.path)
            parts = url.path.split("/", 3)  # '', api id, stage, rest
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                self.send_error(400, "Invalid Content-Length")
                return
            body = self.rfile.read(length) if length > 0 else b""
            request = Request(
                method=self.command,
                path="/" + (parts[3] if len(parts) > 3 else ""),
                query=parse_qsl(url.query, keep_blank_values=True),
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
            )
            if len(parts) < 3 or not parts[1] or not parts[2]:
                response = gateway_response(
                    None, GatewayError("MISSING_AUTHENTICATION_TOKEN"), request, "-"
                )
            else:
                response = gateway.handle(parts[1], parts[2], request)
            self._send(response)

        def _send(self, response: Response) -> None:
            self.send_response(response.status)
            for name, value in response.headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        def __getattr__(self, name: str) -> Any:
            # Every method, TRACE and made-up ones too, goes to the gateway, which routes
            # only REST API methods; http.server would answer 501 with an HTML page.
            if name.startswith("do_"):
                return self._handle
            raise AttributeError(name)

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            """http.server's own refusals (bad request line, header too long...) as JSON."""
            reason = message or self.responses.get(code, ("Error",))[0]
            body = json.dumps({"message": reason}).encode()
            self.close_connection = True
            self.send_response(code, reason)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return Handler
