"""The sandbox process: moto with its gap fixes, the Lambda runner and the API front.

``python -m fileproc_tools.sandbox_server --port 4566`` serves the AWS APIs on
loopback (moto's WSGI application, threaded), runs the deployed functions for
their SQS event sources (``runner.EventSources``) and serves the deployed REST
APIs on ``--api-port`` (``apifront``). ``fileproc_tools.sandbox`` starts it in
the background; it stops cleanly on SIGTERM, taking its runtime processes along.

moto 5.2.1 differs from AWS in ways that matter to this stack. Each difference
is closed in one function below, named GAP n, and tested in
tests/sandbox/test_gaps.py; no Terraform module knows about any of them:

GAP 1  Bucket policies: moto denies whenever a statement's Condition does not
       hold, even for an Allow, and Deny statements ignore their Condition, so
       the TLS-only deny (aws:SecureTransport = false) denies every request. The
       sandbox evaluates statements as IAM does (conditions, principals,
       NotAction...). The sandbox is plain HTTP on loopback and plays the part of
       a TLS-terminating front: aws:SecureTransport is "true" unless the request
       says, with ``X-Forwarded-Proto: http``, that it arrived in clear.
GAP 2  S3 event notifications lack ``sequencer`` and ``versionId``, encode '/'
       in keys, use a local time without 'Z', and a delete that creates a delete
       marker sends no ObjectRemoved:DeleteMarkerCreated event at all.
GAP 3  On each SendMessage to a queue with an event source mapping, moto
       receives the messages itself and tries a Docker invocation, which fails,
       counts a receive and resets the visibility. The runner is the only
       consumer in the sandbox, so moto no longer consumes.
GAP 4  GetFunction does not return DeadLetterConfig (nor LoggingConfig), so
       Terraform plans a change forever.
GAP 5  GetFunction's Code.Location and GetLayerVersion's Content.Location point
       nowhere; the sandbox serves the stored zips at its own URLs, as Lambda
       serves presigned S3 URLs.
GAP 6  CreateEventSourceMapping accepts an SQS queue whose visibility timeout
       is shorter than the function's timeout; Lambda refuses it (messages
       would come back while still being processed), so the sandbox does too.
GAP 7  SQS queue attributes: RedriveAllowPolicy is stored but never returned
       (Terraform waits for it forever), RedrivePolicy comes back re-spaced
       (a perpetual diff), and every SetQueueAttributes call without a Policy
       deletes the queue's policy.
GAP 8  Browser-based uploads (presigned POST) are stored whatever their policy
       says: moto checks neither the expiration nor the conditions (key prefix,
       Content-Type, content-length-range). The sandbox enforces them as S3 does
       (the signature itself is not checked: every sandbox key is fake).
GAP 9  Invoke needs Docker in moto; the sandbox runs it with the runner
       (RequestResponse and DryRun; an Event invocation runs once in the
       background: async retries and destinations are not emulated).
"""

from __future__ import annotations

import argparse
import base64
import contextvars
import fnmatch
import ipaddress
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, quote_plus
from xml.sax.saxutils import escape

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

log = logging.getLogger("fileproc.sandbox")

MOTO_VERSION = "5.2.1"
ACCOUNT_ID = "123456789012"
# The WSGI environ of the request being served, for policy conditions (GAP 1).
CURRENT_REQUEST: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "CURRENT_REQUEST", default=None
)


# ---------------------------------------------------------------- GAP 1: bucket policies


def request_context(environ: Mapping[str, Any] | None) -> dict[str, str]:
    """The IAM condition keys of a request, lower-cased (condition keys are case-insensitive)."""
    context = {
        "aws:principalaccount": ACCOUNT_ID,
        "aws:currenttime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "aws:epochtime": str(int(time.time())),
        "aws:securetransport": "true",
    }
    if environ is None:  # an in-process call, not a request: nothing to deny on transport
        return context
    forwarded = str(environ.get("HTTP_X_FORWARDED_PROTO", "")).lower()
    if forwarded:
        context["aws:securetransport"] = "true" if forwarded == "https" else "false"
    context["aws:sourceip"] = str(environ.get("REMOTE_ADDR", "127.0.0.1"))
    if environ.get("HTTP_USER_AGENT"):
        context["aws:useragent"] = str(environ["HTTP_USER_AGENT"])
    for header in (
        "x-amz-server-side-encryption",
        "x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-acl",
    ):
        value = environ.get("HTTP_" + header.upper().replace("-", "_"))
        if value:
            context[f"s3:{header}"] = str(value)
    return context


_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "NotIpAddress",
    "ArnNotEquals",
    "ArnNotLike",
}


def _matches(operator: str, actual: str, expected: str) -> bool:
    """One value against one policy value, for the positive form of an operator."""
    positive = operator.replace("Not", "", 1) if operator in _NEGATED else operator
    if positive == "StringEquals":
        return actual == expected
    if positive == "StringEqualsIgnoreCase":
        return actual.lower() == expected.lower()
    if positive in ("StringLike", "ArnLike", "ArnEquals"):
        return fnmatch.fnmatchcase(actual, expected)
    if positive == "Bool":
        return actual.lower() == expected.lower()
    if positive.startswith("Numeric"):
        a, e = float(actual), float(expected)
        return {
            "NumericEquals": a == e,
            "NumericLessThan": a < e,
            "NumericLessThanEquals": a <= e,
            "NumericGreaterThan": a > e,
            "NumericGreaterThanEquals": a >= e,
        }[positive]
    if positive == "IpAddress":
        return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
    raise UnsupportedCondition(operator)


class UnsupportedCondition(Exception):
    """A condition operator the sandbox does not evaluate (Date*, Binary*, set operators)."""


def condition_holds(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """IAM's rules: every operator and key must hold; values of one key are ORed
    (ANDed for negated operators); a missing key fails, except for negated
    operators, ...IfExists and Null."""
    for raw_operator, tests in condition.items():
        if_exists = raw_operator.endswith("IfExists")
        operator = raw_operator.removesuffix("IfExists")
        for key, expected in tests.items():
            values = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
            actual = context.get(key.lower())
            if operator == "Null":
                if (actual is None) != (values[0].lower() == "true"):
                    return False
                continue
            if actual is None:
                if if_exists or operator in _NEGATED:
                    continue
                return False
            hits = [_matches(operator, actual, value) for value in values]
            if (not any(hits)) if operator not in _NEGATED else any(hits):
                return False
    return True


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_is_caller(principal: Any) -> bool:
    """Every sandbox request comes from the one account; services are never the caller."""
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any(p == "*" or ACCOUNT_ID in str(p) for p in _as_list(principal.get("AWS", [])))


def statement_applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]
) -> bool:
    def any_match(patterns: Any, value: str, case: bool) -> bool:
        if case:
            return any(fnmatch.fnmatchcase(value, p) for p in _as_list(patterns))
        return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in _as_list(patterns))

    if "NotAction" in statement:
        if any_match(statement["NotAction"], action, case=False):
            return False
    elif not any_match(statement.get("Action", []), action, case=False):
        return False
    if "NotResource" in statement:
        if any_match(statement["NotResource"], resource, case=True):
            return False
    elif not any_match(statement.get("Resource", []), resource, case=True):
        return False
    if "NotPrincipal" in statement:
        if _principal_is_caller(statement["NotPrincipal"]):
            return False
    elif not _principal_is_caller(statement.get("Principal")):
        return False
    return condition_holds(statement.get("Condition") or {}, context)


def evaluate_bucket_policy(
    policy: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]
) -> str:
    """ "DENIED" when a Deny applies, "PERMITTED" when an Allow does, else "NEUTRAL"."""
    verdict = "NEUTRAL"
    for statement in _as_list(policy.get("Statement", [])):
        try:
            applies = statement_applies(statement, action, resource, context)
        except UnsupportedCondition as exc:
            log.warning("bucket policy condition %s is not evaluated; statement skipped", exc)
            continue
        if applies and statement.get("Effect") == "Deny":
            return "DENIED"
        if applies and statement.get("Effect") == "Allow":
            verdict = "PERMITTED"
    return verdict


def fix_bucket_policies() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    # moto names object actions after the HTTP method; IAM has no Head/Post/Options actions.
    aliases = {"s3:HeadObject": "s3:GetObject", "s3:PostObject": "s3:PutObject"}

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None or action == "s3:OptionsObject":  # CORS preflight
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy)
        context = request_context(CURRENT_REQUEST.get())
        verdict = evaluate_bucket_policy(policy, aliases.get(action, action), resource, context)
        return PermissionResult[verdict]

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


# ---------------------------------------------------------------- GAP 2: S3 notifications


_sequencer_lock = threading.Lock()
_last_sequencer = 0
_current_sequencer = threading.local()


def next_sequencer() -> str:
    """A hex value that grows with every event, as S3's per-key sequencer does."""
    global _last_sequencer
    with _sequencer_lock:
        _last_sequencer = max(_last_sequencer + 1, time.time_ns())
        return f"{_last_sequencer:018X}"


def s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
    """An S3 event notification as S3 writes it (notification-content-structure)."""
    obj: dict[str, Any] = {"key": quote_plus(key.name, safe="/")}
    if event_name.startswith("s3:ObjectCreated:"):  # removals carry no size or eTag
        obj["size"] = key.size
        obj["eTag"] = key.etag.strip('"')
    version = getattr(key, "version_id", None)
    if version and version != "null":
        obj["versionId"] = version
    obj["sequencer"] = getattr(_current_sequencer, "value", None) or next_sequencer()
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": bucket.region_name,
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "eventName": event_name.removeprefix("s3:"),
        "userIdentity": {"principalId": f"AWS:{ACCOUNT_ID}"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": os.urandom(8).hex().upper(),
            "x-amz-id-2": os.urandom(24).hex(),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": notification_id,
            "bucket": {
                "name": bucket.name,
                "ownerIdentity": {"principalId": ACCOUNT_ID},
                "arn": bucket.arn,
            },
            "object": obj,
        },
    }
    return {"Records": [record]}


def fix_s3_notifications() -> None:
    from moto.s3 import models, notifications

    original_send = notifications.send_event
    original_set_delete_marker = models.S3Backend._set_delete_marker

    def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
        # One sequencer per S3 operation, shared by all the notifications it sends.
        _current_sequencer.value = next_sequencer()
        try:
            original_send(account_id, event_name, bucket, key)
        finally:
            _current_sequencer.value = None

    def set_delete_marker(self: Any, bucket_name: str, key_name: str) -> Any:
        marker = original_set_delete_marker(self, bucket_name, key_name)
        notifications.send_event(
            self.account_id,
            notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT,
            self.get_bucket(bucket_name),
            marker,
        )
        return marker

    notifications._get_s3_event = s3_event
    notifications.send_event = send_event
    models.S3Backend._set_delete_marker = set_delete_marker  # type: ignore[method-assign]


# ---------------------------------------------------------------- GAP 3: SQS mappings


def fix_sqs_event_source_mappings() -> None:
    from moto.sqs.models import Queue

    # Queue.add_message invokes every mapping registered on the queue. Keeping
    # the registry empty leaves the mappings in Lambda (List/Get/Update/Delete
    # work) and the messages to the runner.
    Queue.lambda_event_source_mappings = property(  # type: ignore[assignment]
        lambda self: {}, lambda self, value: None
    )


# ---------------------------------------------------------------- GAP 4: Lambda config


# Configuration moto accepts but drops; returned as given, with Lambda's defaults.
ECHOED_FUNCTION_CONFIG = ("DeadLetterConfig", "LoggingConfig")


def fix_function_configuration() -> None:
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_update = LambdaFunction.update_configuration
    original_get = LambdaFunction.get_configuration

    def remember(function: Any, spec: Mapping[str, Any]) -> None:
        echoed = function.__dict__.setdefault("_sandbox_echoed", {})
        for name in ECHOED_FUNCTION_CONFIG:
            if name in spec:
                echoed[name] = spec[name]

    def init(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        remember(self, spec)

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> Any:
        remember(self, config_updates)
        return original_update(self, config_updates)

    def get_configuration(self: Any, on_create: bool = False) -> Any:
        config = original_get(self, on_create)
        echoed = self.__dict__.get("_sandbox_echoed", {})
        dead_letter = echoed.get("DeadLetterConfig") or {}
        if dead_letter.get("TargetArn"):  # an empty TargetArn removes it
            config["DeadLetterConfig"] = {"TargetArn": dead_letter["TargetArn"]}
        config["LoggingConfig"] = {
            "LogFormat": "Text",
            "LogGroup": f"/aws/lambda/{self.function_name}",
            **(echoed.get("LoggingConfig") or {}),
        }
        return config

    LambdaFunction.__init__ = init  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_configuration  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]


# ---------------------------------------------------------------- GAP 5: code locations


CODE_PATH = "/_sandbox/lambda/code"
LAYER_PATH = "/_sandbox/lambda/layer"


def fix_code_locations(base_url: str) -> None:
    from moto.awslambda.models import LambdaFunction, LayerVersion

    original_code = LambdaFunction.get_code
    original_layer = LayerVersion.get_layer_version

    def get_code(self: Any) -> Any:
        response = original_code(self)
        if "Location" in response.get("Code", {}):
            response["Code"]["Location"] = f"{base_url}{CODE_PATH}?arn={quote(self.function_arn)}"
        return response

    def get_layer_version(self: Any) -> Any:
        response = original_layer(self)
        response["Content"]["Location"] = f"{base_url}{LAYER_PATH}?arn={quote(self.arn)}"
        return response

    LambdaFunction.get_code = get_code  # type: ignore[method-assign]
    LayerVersion.get_layer_version = get_layer_version  # type: ignore[method-assign]


def stored_code(path: str, arn: str) -> bytes:
    """The zip behind a Location that GAP 5 handed out."""
    from moto.awslambda.models import lambda_backends

    _, _, _, region, account, *_ = arn.split(":")
    backend = lambda_backends[account][region]
    if path == CODE_PATH:
        return bytes(backend.get_function(arn).code_bytes)
    layer = backend.layers_versions_by_arn(arn)
    if layer is None:
        raise KeyError(arn)
    return bytes(layer.code_bytes)


# ---------------------------------------------------------------- GAP 6: visibility timeout


def fix_event_source_mapping_validation() -> None:
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend
    from moto.sqs.models import sqs_backends

    original_create = LambdaBackend.create_event_source_mapping
    original_update = LambdaBackend.update_event_source_mapping

    def check(backend: Any, queue_arn: str, function_name: str) -> None:
        if not queue_arn.startswith("arn:aws:sqs:"):
            return
        _, _, _, region, account, name = queue_arn.split(":")
        queue = sqs_backends[account][region].queues.get(name)
        function = backend.get_function(function_name)
        visibility = int(getattr(queue, "visibility_timeout", 0))  # set from attributes
        if queue is not None and visibility < int(function.timeout):
            raise InvalidParameterValueException(
                f"Queue visibility timeout: {visibility} seconds is less than "
                f"Function timeout: {function.timeout} seconds"
            )

    def create(self: Any, spec: dict[str, Any]) -> Any:
        check(self, spec.get("EventSourceArn", ""), spec.get("FunctionName", ""))
        return original_create(self, spec)

    def update(self: Any, uuid: str, spec: dict[str, Any]) -> Any:
        esm = self.get_event_source_mapping(uuid)
        if esm is not None:
            check(self, esm.event_source_arn, spec.get("FunctionName") or esm.function_arn)
        return original_update(self, uuid, spec)

    LambdaBackend.create_event_source_mapping = create  # type: ignore[method-assign]
    LambdaBackend.update_event_source_mapping = update  # type: ignore[method-assign]


# ---------------------------------------------------------------- GAP 7: queue attributes


def fix_sqs_queue_attributes() -> None:
    from moto.sqs.models import Queue

    original_attributes = Queue.attributes
    original_set = Queue._set_attributes

    def attributes(self: Any) -> dict[str, Any]:
        result: dict[str, Any] = original_attributes.fget(self)  # type: ignore[attr-defined]
        if not result.get("RedriveAllowPolicy"):
            result.pop("RedriveAllowPolicy", None)  # AWS lists it only once set
        if result.get("RedrivePolicy"):  # compact, as AWS returns it
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    def set_attributes(self: Any, attributes: dict[str, Any], now: float | None = None) -> None:
        policy = self.__dict__.get("policy")
        original_set(self, attributes, now)
        if "Policy" not in attributes:  # only a Policy attribute changes the policy
            self.policy = policy

    Queue.redrive_allow_policy = None  # type: ignore[attr-defined]
    Queue.BASE_ATTRIBUTES = [*Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]
    Queue.attributes = property(attributes)  # type: ignore[assignment,method-assign]
    Queue._set_attributes = set_attributes  # type: ignore[method-assign]


# ---------------------------------------------------------------- GAP 8: POST policies


def post_policy_violation(
    form: Mapping[str, str], bucket: str, size: int, now: float | None = None
) -> tuple[int, str, str] | None:
    """(HTTP status, S3 error code, message) when a POST upload breaks its policy, else None."""
    encoded = next((v for k, v in form.items() if k.lower() == "policy"), None)
    if not encoded:
        return None
    policy = json.loads(base64.b64decode(encoded))
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00")).timestamp()
    if (time.time() if now is None else now) > expires:
        return 403, "AccessDenied", "Invalid according to Policy: Policy expired."
    fields = {k.lower(): v for k, v in form.items()} | {"bucket": bucket}
    covered = set()
    for condition in policy.get("conditions", []):
        if isinstance(condition, dict):
            ((name, expected),) = condition.items()
            operator, name = "eq", f"${name}"
        else:
            operator, name, expected = str(condition[0]).lower(), condition[1], condition[2]
        if operator == "content-length-range":
            low, high = int(name), int(expected)
            if size > high:
                return (
                    400,
                    "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size",
                )
            if size < low:
                return (
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                )
            continue
        field = str(name).removeprefix("$").lower()
        covered.add(field)
        actual = fields.get(field, "")
        holds = actual.startswith(expected) if operator == "starts-with" else actual == expected
        if not holds:
            failed = json.dumps(
                condition if isinstance(condition, list) else ["eq", name, expected]
            )
            return (
                403,
                "AccessDenied",
                f"Invalid according to Policy: Policy Condition failed: {failed}",
            )
    # The signature fields (SigV4 and SigV2) and the file are not policy conditions.
    exempt = {"policy", "x-amz-signature", "awsaccesskeyid", "signature", "file", "bucket"}
    extra = [
        k
        for k in form
        if k.lower() not in covered | exempt and not k.lower().startswith("x-ignore-")
    ]
    if extra:
        return (
            403,
            "AccessDenied",
            f"Invalid according to Policy: Extra input fields: {', '.join(extra)}",
        )
    return None


def fix_post_policies() -> None:
    from moto.s3.responses import S3Response

    original = S3Response._bucket_response_post

    def bucket_response_post(self: Any, request: Any, bucket_name: str) -> Any:
        form = {k: v for k, v in (self.form_data or {}).items() if k != "file"}
        violation = post_policy_violation(form, bucket_name, len(self.body or b""))
        if violation is None:
            return original(self, request, bucket_name)
        status, code, message = violation
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
        )
        return status, {"Content-Type": "application/xml"}, body

    S3Response._bucket_response_post = bucket_response_post  # type: ignore[method-assign]


# ---------------------------------------------------------------- GAP 9: Invoke


def fix_lambda_invoke(service: Any) -> None:
    """Route Lambda's Invoke API to the runner (``service``: a runner.LambdaService)."""
    from moto.awslambda.models import LambdaFunction

    def invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> bytes:
        event = json.loads(body) if body else {}
        kind = request_headers.get("x-amz-invocation-type", "RequestResponse")
        if kind == "DryRun":
            return b""
        if kind == "Event":
            threading.Thread(
                target=service.invoke, args=(self.function_arn, event), daemon=True
            ).start()
            return b""
        result = service.invoke(self.function_arn, event)
        response_headers["x-amz-executed-version"] = "$LATEST"
        if not result.ok:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(result.error).encode()
        return json.dumps(result.payload).encode()

    LambdaFunction.invoke = invoke  # type: ignore[method-assign]


def apply_gap_fixes(base_url: str) -> None:
    fix_bucket_policies()
    fix_s3_notifications()
    fix_sqs_event_source_mappings()
    fix_function_configuration()
    fix_code_locations(base_url)
    fix_event_source_mapping_validation()
    fix_sqs_queue_attributes()
    fix_post_policies()


# ---------------------------------------------------------------- the server


def lambda_regions() -> list[str]:
    """Regions where something touched Lambda (moto creates region backends on first use)."""
    from moto.awslambda.models import lambda_backends

    return list(lambda_backends[ACCOUNT_ID].keys())


def apigateway_regions() -> list[str]:
    from moto.apigateway.models import apigateway_backends

    return list(apigateway_backends[ACCOUNT_ID].keys())


class SandboxApp:
    """moto's WSGI application, plus the sandbox's own routes under /_sandbox/."""

    def __init__(self, moto_app: Any, status: Callable[[], dict[str, Any]]) -> None:
        self._moto = moto_app
        self._status = status

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_sandbox/"):
            return self._own(path, environ, start_response)
        token = CURRENT_REQUEST.set(environ)
        try:
            return self._moto(environ, start_response)
        finally:
            CURRENT_REQUEST.reset(token)

    def _own(self, path: str, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if path == "/_sandbox/health":
            return _reply(start_response, "200 OK", "application/json", json.dumps(self._status()))
        if path in (CODE_PATH, LAYER_PATH):
            arn = parse_qs(environ.get("QUERY_STRING", "")).get("arn", [""])[0]
            try:
                body = stored_code(path, arn)
            except Exception:
                return _reply(start_response, "404 Not Found", "text/plain", f"no code for {arn}")
            return _reply(start_response, "200 OK", "application/zip", body)
        return _reply(start_response, "404 Not Found", "text/plain", "unknown sandbox route")


def _reply(start_response: Any, status: str, content_type: str, body: str | bytes) -> list[bytes]:
    data = body.encode() if isinstance(body, str) else body
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


class KeepAliveHandler(WSGIRequestHandler):
    # HTTP/1.1 keeps SDK connections open; werkzeug's default closes each one.
    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if str(code).startswith(("4", "5")):
            super().log_request(code, size)


class Sandbox:
    """The running pieces: the AWS endpoint, the Lambda runner and the API front."""

    def __init__(self, host: str, port: int, api_port: int, state_dir: str) -> None:
        from pathlib import Path

        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        from fileproc_tools import apifront, runner

        self.endpoint = f"http://{host}:{port}"
        apply_gap_fixes(self.endpoint)
        self.started = time.time()
        self.api_port = api_port
        self.logs = runner.CloudWatchLogs(self.endpoint)
        self.lambda_service = runner.LambdaService(self.endpoint, Path(state_dir), self.logs)
        fix_lambda_invoke(self.lambda_service)
        self.event_sources = runner.EventSources(self.lambda_service, lambda_regions)
        app = SandboxApp(DomainDispatcherApplication(create_backend_app), self.status)
        self.aws: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=KeepAliveHandler
        )
        self.front = apifront.ApiFront(
            host, api_port, self.endpoint, self.lambda_service, apigateway_regions
        )

    def status(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "pid": os.getpid(),
            "moto": MOTO_VERSION,
            "endpoint": self.endpoint,
            "api_endpoint": self.front.url,
            "uptime_seconds": round(time.time() - self.started, 1),
            "event_source_mappings": [m.__dict__ for m in self.event_sources.mappings],
        }

    def serve(self) -> None:
        threading.Thread(target=self.front.serve_forever, name="api-front", daemon=True).start()
        # Ready before the first invocation, which would otherwise wait for the copy.
        threading.Thread(target=self.lambda_service.runtimes.ensure_sdk, daemon=True).start()
        self.event_sources.start()
        log.info("sandbox: AWS at %s, API front at %s", self.endpoint, self.front.url)
        self.aws.serve_forever()
        self.aws.server_close()

    def shutdown(self) -> None:
        """Stop everything. Safe in a signal handler: the work runs in another thread,
        because flushing logs is a request to the server that the main thread serves."""
        threading.Thread(target=self._stop, name="shutdown", daemon=True).start()

    def _stop(self) -> None:
        self.event_sources.stop()
        self.lambda_service.shutdown()
        self.logs.close()
        self.front.shutdown()
        self.aws.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", 4566)))
    parser.add_argument("--api-port", type=int, default=None, help="default: --port + 1")
    parser.add_argument("--state-dir", default=".sandbox", help="code cache and runtime files")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    sandbox = Sandbox(args.host, args.port, args.api_port or args.port + 1, args.state_dir)

    def stop(signum: int, _frame: Any) -> None:
        log.info("sandbox: stopping on signal %d", signum)
        sandbox.shutdown()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sandbox.serve()
    log.info("sandbox: stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
