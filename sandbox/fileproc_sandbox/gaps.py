"""Where moto 5.2.1 differs from AWS for this stack, and how the sandbox closes it.

Each difference is closed in one function below, named GAP n, applied by the
sandbox server at start (``apply_gap_fixes``; GAP 9 needs the runner, so the
server applies it itself) and tested in tests/sandbox/test_gaps.py (GAP 17-20 in
test_gaps_fidelity.py, GAP 20 in a browser too: test_browser.py). They patch
moto's classes in the sandbox process only; no Terraform module knows about
any of them:

GAP 1  Bucket policies: moto denies whenever a statement's Condition does not
       hold, even for an Allow, and Deny statements ignore their Condition, so
       the TLS-only deny (aws:SecureTransport = false) denies every request. The
       sandbox evaluates statements as IAM does (conditions, principals,
       NotAction..., policy.py). The sandbox is plain HTTP on loopback and plays the part of
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
       Content-Type, content-length-range). The sandbox enforces them as S3 does.
       The signature is GAP 18.
GAP 9  Invoke needs Docker in moto; the sandbox runs it with the runner
       (RequestResponse and DryRun; an Event invocation runs once in the
       background: async retries and destinations are not emulated).
GAP 10 AWS Backup selections are not implemented (the provider retries the
       500 until its timeout), so a backup plan could not be deployed here.
       The sandbox stores them (Create/Get/List/Delete) and, as AWS does,
       refuses to delete a plan that still has selections. ListTags also
       misreads the ARN of a path without the trailing slash (the Go SDK's
       form), so Terraform saw no tags on plans and vaults.
GAP 11 IAM has none of AWS's managed policies unless asked (attaching
       AWSBackupServiceRolePolicyForBackup fails with NoSuchEntity); the
       sandbox asks moto to load them.
GAP 12 ListRecoveryPointsByBackupVault is not implemented (404 HTML), and the
       provider calls it to empty a force_destroy vault, so destroy failed.
       moto runs no backup jobs, so a vault never holds recovery points: the
       sandbox answers an empty list (ResourceNotFound for an unknown vault).
GAP 13 API Gateway: UpdateMethod, UpdateIntegration, UpdateMethodResponse,
       UpdateIntegrationResponse, UpdateGatewayResponse, UpdateModel,
       UpdateResource and UpdateDeployment are missing, and UpdateRestApi and
       UpdateUsagePlan ignore most paths, so applying a changed API to a
       running stack hung on the first update. The sandbox applies the patch
       operations as API Gateway does (JSON-patch semantics,
       apigateway_patch.py), refusing a bad one with a 400 that changes nothing.
GAP 14 A deleted backup plan kept its name: re-creating the stack in the same
       sandbox after a destroy failed with AlreadyExistsException.
GAP 15 UpdateBackupPlan is not implemented (changing the retention failed);
       the sandbox stores the new rules as a new version, as AWS does.
GAP 16 API Gateway tags were only read and written on REST APIs; stages, API
       keys and usage plans (which Terraform tags too) answered 404.
GAP 17 DynamoDB conditional writes are not atomic: moto checks the condition and
       writes in two steps while other request threads run, so six writers racing
       attribute_not_exists on one item had two winners in 2 of 30 rounds. The
       records rely on DynamoDB's atomic conditions (a newer version is never
       overwritten by an older one); the sandbox serialises each table's writes
       (and its scans and queries, which iterate the items a write changes).
GAP 18 Presigned POST: moto checks no signature (a tampered policy was stored) and
       takes the form's fields in any order, where S3 ignores every field after
       the file and so refuses a form whose key comes after it. The sandbox
       checks the SigV4 (x-amz-signature) or SigV2 signature over the policy as S3
       does, with the access key's secret (below: ``secret_of``), and reads only
       the fields before the file.
GAP 19 Presigned GET ignores the response-content-disposition (and -type,
       -cache-control...) overrides, so a download link named no file; the sandbox
       applies them as S3 does (to signed requests only).
GAP 20 CORS: moto's server answers every request of every service with an
       Access-Control-Allow-Origin for any origin (flask-cors echoes it), whatever
       a bucket's CORS rules say, so a page of any origin could read S3's answers;
       and by the rules alone the answer to a browser's POST upload carries no CORS
       headers (moto adds them to GET and HEAD only). The sandbox turns the global
       header off and answers by the bucket's rules, POST uploads (errors included)
       too, as S3 does.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, quote_plus, unquote
from xml.sax.saxutils import escape

from fileproc_sandbox.apigateway_patch import Kind, MapOf, PatchError, SetOf, apply_patch
from fileproc_sandbox.policy import ACCOUNT_ID, evaluate_bucket_policy

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
        if "Policy" in attributes:  # also at creation, with the default None
            original_set(self, attributes, now)
            return
        policy = self.policy  # a property over _policy_json: its JSON text, or None
        original_set(self, attributes, now)
        self.policy = policy  # only a Policy attribute changes the policy

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


def s3_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], str]:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
    )
    return status, {"Content-Type": "application/xml"}, body


def fix_post_policies() -> None:
    from moto.s3.responses import S3Response

    original = S3Response._bucket_response_post

    def bucket_response_post(self: Any, request: Any, bucket_name: str) -> Any:
        form = {k: v for k, v in (self.form_data or {}).items() if k != "file"}
        violation = post_policy_violation(form, bucket_name, len(self.body or b""))
        if violation is None:
            return original(self, request, bucket_name)
        return s3_error(*violation)

    S3Response._bucket_response_post = bucket_response_post  # type: ignore[method-assign]


# ---------------------------------------------------------------- GAP 18: POST signatures

# The raw multipart body of a POST, kept by the server (keep_form_body) for GAP 18:
# moto's parsed form has lost the order of the parts.
RAW_FORM_BODY = "fileproc.sandbox.form_body"


def keep_form_body(environ: dict[str, Any]) -> None:
    """Read a multipart POST body once and put it back, keeping a copy in the environ."""
    import io

    if environ.get("REQUEST_METHOD") != "POST":
        return
    if not str(environ.get("CONTENT_TYPE", "")).startswith("multipart/form-data"):
        return
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ[RAW_FORM_BODY] = body
    environ["wsgi.input"] = io.BytesIO(body)


def form_part_names(environ: Mapping[str, Any] | None) -> list[str] | None:
    """The names of a multipart form's parts in their order; None when not at hand."""
    from werkzeug.http import parse_options_header
    from werkzeug.sansio.multipart import Epilogue, Field, File, MultipartDecoder, NeedData

    if environ is None or RAW_FORM_BODY not in environ:
        return None
    _, options = parse_options_header(str(environ.get("CONTENT_TYPE", "")))
    if "boundary" not in options:
        return None
    decoder = MultipartDecoder(options["boundary"].encode())
    decoder.receive_data(environ[RAW_FORM_BODY])
    decoder.receive_data(None)
    names = []
    while True:
        try:
            event = decoder.next_event()
        except ValueError:  # malformed: moto's parser has the last word
            return None
        if isinstance(event, (Field, File)):
            names.append(event.name)
        elif isinstance(event, (Epilogue, NeedData)):
            return names


def secret_of(access_key_id: str) -> str:
    """The secret of a sandbox access key: an IAM user's key has the secret IAM gave it;
    every other key is one of the fake ones (FAKE_CREDENTIALS, the tests' test/test),
    whose secret is, by the sandbox's convention, the key id itself."""
    from moto.iam.models import iam_backends

    for backend in iam_backends[ACCOUNT_ID].values():
        for user in backend.users.values():
            for key in user.access_keys:
                if key.access_key_id == access_key_id:
                    return str(key.secret_access_key)
    return access_key_id


def post_signature_problem(form: Mapping[str, str]) -> tuple[int, str, str] | None:
    """(status, code, message) when a POST form's signature is not S3's over its policy."""
    import hashlib
    import hmac

    fields = {k.lower(): v for k, v in form.items()}
    policy = fields.get("policy")
    if policy is None:
        return None  # an anonymous upload: the bucket policy decides
    mismatch = (
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
    )
    if "x-amz-signature" in fields:
        if fields.get("x-amz-algorithm") != "AWS4-HMAC-SHA256":
            return 400, "InvalidArgument", "Unsupported x-amz-algorithm"
        credential = fields.get("x-amz-credential", "").split("/")
        if len(credential) != 5 or credential[3:] != ["s3", "aws4_request"]:
            return 400, "AuthorizationQueryParametersError", "Invalid x-amz-credential"
        access_key, day, region, service, terminal = credential
        key = ("AWS4" + secret_of(access_key)).encode()
        for part in (day, region, service, terminal):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
        return None if hmac.compare_digest(expected, fields["x-amz-signature"]) else mismatch
    if "signature" in fields and "awsaccesskeyid" in fields:  # SigV2
        digest = hmac.new(
            secret_of(fields["awsaccesskeyid"]).encode(), policy.encode(), hashlib.sha1
        ).digest()
        expected = base64.b64encode(digest).decode()
        return None if hmac.compare_digest(expected, fields["signature"]) else mismatch
    return 400, "InvalidArgument", "Bucket POST must contain a field named 'x-amz-signature'."


def post_form_problem(form: Mapping[str, str]) -> tuple[int, str, str] | None:
    """What S3 refuses in a POST form (the fields before the file) before its policy."""
    if not any(k.lower() == "key" for k in form):
        return (
            400,
            "InvalidArgument",
            "Bucket POST must contain a field named 'key'.  "
            "If it is specified, please check the order of the fields.",
        )
    return post_signature_problem(form)


def fix_post_signatures() -> None:
    from moto.s3.responses import S3Response

    policies = S3Response._bucket_response_post  # GAP 8's, applied first

    def bucket_response_post(self: Any, request: Any, bucket_name: str) -> Any:
        if "delete" in self.querystring:  # DeleteObjects: a POST, not a form
            return policies(self, request, bucket_name)
        names = form_part_names(CURRENT_REQUEST.get())
        if names is not None and "file" in names:
            # S3 reads nothing after the file: what follows it is not part of the upload.
            ignored = set(names[names.index("file") + 1 :]) - set(names[: names.index("file")])
            self.form_data = {k: v for k, v in (self.form_data or {}).items() if k not in ignored}
            self.querystring = {k: v for k, v in self.querystring.items() if k not in ignored}
        form = {k: v for k, v in self.form_data.items() if k != "file"}
        problem = post_form_problem(form)
        if problem is not None:
            return s3_error(*problem)
        return policies(self, request, bucket_name)

    S3Response._bucket_response_post = bucket_response_post  # type: ignore[method-assign]


# ---------------------------------------------------------------- GAP 19: response overrides

# The query parameters of GetObject that set a header of its answer.
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


def fix_response_overrides() -> None:
    from moto.s3.responses import S3Response

    original = S3Response.key_response

    def key_response(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        status, response_headers, body = original(self, request, full_url, headers)
        query = {k.lower(): v for k, v in (self.querystring or {}).items()}
        wanted = {RESPONSE_OVERRIDES[k]: v[-1] for k, v in query.items() if k in RESPONSE_OVERRIDES}
        if not wanted or request.method not in ("GET", "HEAD") or status not in (200, 206):
            return status, response_headers, body
        signed = bool(request.headers.get("Authorization")) or any(
            k in query for k in ("x-amz-signature", "signature")
        )
        if not signed:
            return s3_error(
                400,
                "InvalidRequest",
                "Request specific response headers cannot be used for anonymous GET requests.",
            )
        response_headers = {
            k: v
            for k, v in response_headers.items()
            if k.lower() not in {w.lower() for w in wanted}
        } | wanted
        return status, response_headers, body

    S3Response.key_response = key_response  # type: ignore[method-assign]


# ---------------------------------------------------------------- GAP 20: S3 CORS


def fix_s3_cors() -> None:
    from moto.moto_server import werkzeug_app
    from moto.s3.responses import S3Response

    # Read when moto builds each service's application, on its first request. The
    # browser talks to S3 and the API front only; no other service needs CORS here.
    werkzeug_app.DISABLE_GLOBAL_CORS = True

    original = S3Response._bucket_response_post

    def bucket_response_post(self: Any, request: Any, bucket_name: str) -> Any:
        status, headers, body = original(self, request, bucket_name)
        self.bucket_name = bucket_name
        return status, {**headers, **self._get_cors_headers_other()}, body

    S3Response._bucket_response_post = bucket_response_post  # type: ignore[method-assign]


# ---------------------------------------------------------------- GAP 9: Invoke


def fix_lambda_invoke(service: Any) -> None:
    """Route Lambda's Invoke API to the runner (``service``: a lambda_runner.LambdaService)."""
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


# ---------------------------------------------------------------- GAP 10: backup selections


def fix_backup_selections() -> None:
    from moto.backup.exceptions import InvalidRequestException, ResourceNotFoundException
    from moto.backup.models import BackupBackend
    from moto.backup.responses import BackupResponse

    def selections(backend: Any, plan_id: str) -> dict[str, dict[str, Any]]:
        backend.get_backup_plan(backup_plan_id=plan_id, version_id=None)  # 404 without a plan
        stored: dict[str, dict[str, dict[str, Any]]] = backend.__dict__.setdefault(
            "_sandbox_selections", {}
        )
        return stored.setdefault(plan_id, {})

    def path_ids(path: str) -> tuple[str, str]:
        # /backup/plans/<plan id>/selections/[<selection id>]
        parts = path.split("?")[0].strip("/").split("/")
        return parts[2], parts[4] if len(parts) > 4 else ""

    def find(response: Any) -> dict[str, Any]:
        plan_id, selection_id = path_ids(response.path)
        found = selections(response.backup_backend, plan_id).get(selection_id)
        if found is None:
            raise ResourceNotFoundException(msg=f"Backup selection {selection_id} not found")
        return found

    def create_backup_selection(self: Any) -> str:
        plan_id, _ = path_ids(self.path)
        params = json.loads(self.body)
        selection = {
            "SelectionId": str(uuid.uuid4()),
            "BackupPlanId": plan_id,
            "BackupSelection": params["BackupSelection"],
            "CreationDate": time.time(),
            "CreatorRequestId": params.get("CreatorRequestId"),
        }
        selections(self.backup_backend, plan_id)[selection["SelectionId"]] = selection
        return json.dumps(
            {k: selection[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")}
        )

    def get_backup_selection(self: Any) -> str:
        return json.dumps(find(self))

    def delete_backup_selection(self: Any) -> str:
        plan_id, selection_id = path_ids(self.path)
        find(self)
        del selections(self.backup_backend, plan_id)[selection_id]
        return "{}"

    def list_backup_selections(self: Any) -> str:
        plan_id, _ = path_ids(self.path)
        listed = [
            {
                "SelectionId": s["SelectionId"],
                "SelectionName": s["BackupSelection"]["SelectionName"],
                "BackupPlanId": plan_id,
                "CreationDate": s["CreationDate"],
                "CreatorRequestId": s["CreatorRequestId"],
                "IamRoleArn": s["BackupSelection"]["IamRoleArn"],
            }
            for s in selections(self.backup_backend, plan_id).values()
        ]
        return json.dumps({"BackupSelectionsList": listed})

    original_delete_plan = BackupBackend.delete_backup_plan

    def delete_backup_plan(self: Any, backup_plan_id: str) -> Any:
        if self.__dict__.get("_sandbox_selections", {}).get(backup_plan_id):
            raise InvalidRequestException(
                msg="Related backup plan selections must be deleted prior to backup plan deletion"
            )
        return original_delete_plan(self, backup_plan_id)

    def list_tags(self: Any) -> str:
        arn = unquote(self.path.split("?")[0].split("/tags/", 1)[1].rstrip("/"))
        return json.dumps({"Tags": self.backup_backend.list_tags(resource_arn=arn)})

    BackupResponse.list_tags = list_tags  # type: ignore[method-assign]
    BackupResponse.create_backup_selection = create_backup_selection  # type: ignore[attr-defined]
    BackupResponse.get_backup_selection = get_backup_selection  # type: ignore[attr-defined]
    BackupResponse.delete_backup_selection = delete_backup_selection  # type: ignore[attr-defined]
    BackupResponse.list_backup_selections = list_backup_selections  # type: ignore[attr-defined]
    BackupBackend.delete_backup_plan = delete_backup_plan  # type: ignore[method-assign]


# ---------------------------------------------------------------- GAP 11: managed policies


def fix_aws_managed_policies() -> None:
    # Read when moto first builds the IAM backend, so before any request.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"


# ---------------------------------------------------------------- GAP 12: recovery points


def fix_backup_recovery_points() -> None:
    from moto.backup import urls
    from moto.backup.responses import BackupResponse

    def list_recovery_points_by_backup_vault(self: Any) -> str:
        # /backup-vaults/<name>/recovery-points/
        name = unquote(self.path.split("?")[0].split("/backup-vaults/", 1)[1].split("/")[0])
        self.backup_backend.describe_backup_vault(name)  # ResourceNotFound for an unknown vault
        return json.dumps({"RecoveryPoints": []})

    # Read when moto builds the backup application, on the first backup request. With and
    # without the trailing slash: werkzeug matches either form only if told.
    for ending in ("/$", "$"):
        path = "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points" + ending
        urls.url_paths[path] = urls.response.dispatch
    BackupResponse.list_recovery_points_by_backup_vault = (  # type: ignore[attr-defined]
        list_recovery_points_by_backup_vault
    )


# ---------------------------------------------------------------- GAP 13: API Gateway updates


# The updatable properties of each API Gateway resource of this stack: the JSON name that
# patch paths use, where moto keeps the value, and its kind (apigateway_patch).
APIGATEWAY_PATCHABLE: dict[str, dict[str, tuple[str, Kind]]] = {
    "Method": {
        "authorizationType": ("authorization_type", "string"),
        "authorizerId": ("authorizer_id", "string"),
        "authorizationScopes": ("authorization_scopes", SetOf()),
        "apiKeyRequired": ("api_key_required", "boolean"),
        "operationName": ("operation_name", "string"),
        "requestValidatorId": ("request_validator_id", "string"),
        "requestParameters": ("request_parameters", MapOf("boolean")),
        "requestModels": ("request_models", MapOf("string")),
    },
    "Integration": {
        "type": ("integration_type", "string"),
        "httpMethod": ("http_method", "string"),
        "uri": ("uri", "string"),
        "credentials": ("credentials", "string"),
        "connectionType": ("connection_type", "string"),
        "passthroughBehavior": ("passthrough_behaviour", "string"),
        "cacheNamespace": ("cache_namespace", "string"),
        "cacheKeyParameters": ("cache_key_parameters", SetOf()),
        "contentHandling": ("content_handling", "string"),
        "timeoutInMillis": ("timeout_in_millis", "integer"),
        "requestParameters": ("request_parameters", MapOf("string")),
        "requestTemplates": ("request_templates", MapOf("string")),
        "tlsConfig": ("tls_config", {"insecureSkipVerification": "boolean"}),
    },
    "MethodResponse": {
        "responseParameters": ("response_parameters", MapOf("boolean")),
        "responseModels": ("response_models", MapOf("string")),
    },
    "IntegrationResponse": {
        "selectionPattern": ("selection_pattern", "string"),
        "contentHandling": ("content_handling", "string"),
        "responseParameters": ("response_parameters", MapOf("string")),
        "responseTemplates": ("response_templates", MapOf("string")),
    },
    "GatewayResponse": {
        "statusCode": ("status_code", "string"),
        "responseParameters": ("response_parameters", MapOf("string")),
        "responseTemplates": ("response_templates", MapOf("string")),
    },
    "Model": {
        "schema": ("schema", "string"),
        "description": ("description", "string"),
    },
    "Resource": {
        "pathPart": ("path_part", "string"),
        "parentId": ("parent_id", "string"),
    },
    "Deployment": {
        "description": ("description", "string"),
    },
    "RestAPI": {
        "name": ("name", "string"),
        "description": ("description", "string"),
        "apiKeySource": ("api_key_source", "string"),
        "binaryMediaTypes": ("binaryMediaTypes", SetOf()),
        "minimumCompressionSize": ("minimum_compression_size", "integer"),
        "disableExecuteApiEndpoint": ("disableExecuteApiEndpoint", "boolean"),
        "policy": ("policy", "string"),
        "endpointConfiguration": (
            "endpoint_configuration",
            {"types": SetOf(), "vpcEndpointIds": SetOf()},
        ),
    },
    # /apiStages stays with moto, which gets it right.
    "UsagePlan": {
        "name": ("name", "string"),
        "description": ("description", "string"),
        "productCode": ("product_code", "string"),
        "throttle": ("throttle", {"rateLimit": "number", "burstLimit": "integer"}),
        "quota": ("quota", {"limit": "integer", "offset": "integer", "period": "string"}),
    },
}


def patch_apigateway_object(
    obj: Any,
    operations: list[dict[str, Any]],
    check: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Apply patch operations to a moto API Gateway object, all or nothing: ``check`` sees
    the patched document first and raises what API Gateway would answer."""
    from moto.apigateway.exceptions import BadRequestException

    properties = APIGATEWAY_PATCHABLE[type(obj).__name__]
    document = {name: getattr(obj, attribute) for name, (attribute, _) in properties.items()}
    shape = {name: kind for name, (_, kind) in properties.items()}
    try:
        patched = apply_patch(document, operations or [], shape)
    except PatchError as error:
        raise BadRequestException(str(error)) from None
    if check is not None:
        check(patched)
    for name, (attribute, _) in properties.items():
        setattr(obj, attribute, patched.get(name))


def fix_apigateway_updates() -> None:
    from moto.apigateway.exceptions import (
        BadRequestException,
        InvalidResourcePathException,
        NoIntegrationDefined,
        NotFoundException,
        RequestValidatorNotFound,
    )
    from moto.apigateway.models import RestAPI, UsagePlan
    from moto.apigateway.responses import APIGatewayResponse

    def ids(response: Any) -> list[str]:
        # /restapis/<api>/resources/<resource>/methods/<verb>/[integration/]responses/<code>
        return [unquote(part) for part in response.path.split("?")[0].split("/")]

    def answer(
        response: Any, obj: Any, check: Callable[[dict[str, Any]], None] | None = None
    ) -> str:
        patch_apigateway_object(obj, response._get_param("patchOperations"), check)
        return json.dumps(obj.to_dict() if hasattr(obj, "to_dict") else obj.to_json())

    def method_of(response: Any) -> Any:
        parts = ids(response)
        return response.backend.get_method(parts[2], parts[4], parts[6])

    def update_method(self: Any) -> str:
        api = self.backend.get_rest_api(ids(self)[2])

        def check(method: dict[str, Any]) -> None:
            validator = method.get("requestValidatorId")
            if validator and validator not in api.request_validators:
                raise RequestValidatorNotFound()
            models = set((method.get("requestModels") or {}).values()) - set(api.models)
            if models:
                raise BadRequestException(f"Invalid model name specified: {', '.join(models)}")

        return answer(self, method_of(self), check)

    def update_integration(self: Any) -> str:
        integration = method_of(self).method_integration
        if integration is None:
            raise NoIntegrationDefined()
        return answer(self, integration)

    def update_method_response(self: Any) -> str:
        found = method_of(self).get_response(ids(self)[8])
        if found is None:
            raise NotFoundException("Invalid Response status code specified")
        return answer(self, found)

    def update_integration_response(self: Any) -> str:
        integration = method_of(self).method_integration
        if integration is None:
            raise NoIntegrationDefined()
        return answer(self, integration.get_integration_response(ids(self)[9]))

    def update_gateway_response(self: Any) -> str:
        parts = ids(self)
        return answer(self, self.backend.get_gateway_response(parts[2], parts[4]))

    def update_model(self: Any) -> str:
        parts = ids(self)

        def check(model: dict[str, Any]) -> None:
            try:
                json.loads(model.get("schema") or "{}")
            except ValueError:
                raise BadRequestException("Invalid model schema specified: not JSON") from None

        return answer(self, self.backend.get_model(parts[2], parts[4]), check)

    def update_resource(self: Any) -> str:
        parts = ids(self)
        api = self.backend.get_rest_api(parts[2])

        def check(resource: dict[str, Any]) -> None:
            if not re.match(r"^\{?[a-zA-Z0-9._\-:]+\+?\}?$", resource.get("pathPart") or ""):
                raise InvalidResourcePathException()
            if resource.get("parentId") not in api.resources:
                raise NotFoundException("Invalid Resource identifier specified")

        return answer(self, self.backend.get_resource(parts[2], parts[4]), check)

    def update_deployment(self: Any) -> str:
        parts = ids(self)
        return answer(self, self.backend.get_deployment(parts[2], parts[4]))

    original_usage_plan_patch = UsagePlan.apply_patch_operations

    def usage_plan_patch(self: Any, operations: list[dict[str, Any]]) -> None:
        stages = [op for op in operations if str(op.get("path", "")).startswith("/apiStages")]
        patch_apigateway_object(self, [op for op in operations if op not in stages])
        original_usage_plan_patch(self, stages)

    RestAPI.apply_patch_operations = patch_apigateway_object  # type: ignore[method-assign,assignment]
    UsagePlan.apply_patch_operations = usage_plan_patch  # type: ignore[method-assign,assignment]
    for handler in (
        update_method,
        update_integration,
        update_method_response,
        update_integration_response,
        update_gateway_response,
        update_model,
        update_resource,
        update_deployment,
    ):
        setattr(APIGatewayResponse, handler.__name__, handler)


# ---------------------------------------------------------------- GAP 14: deleted backup plans


def fix_backup_plan_names() -> None:
    from moto.backup.exceptions import AlreadyExistsException
    from moto.backup.models import BackupBackend, Plan

    # moto keeps a deleted plan (with its DeletionDate, as GetBackupPlan and
    # ListBackupPlans(includeDeleted) show it) and compared a new plan's name with those too.
    def create_backup_plan(
        self: Any,
        backup_plan: dict[str, Any],
        backup_plan_tags: dict[str, str],
        creator_request_id: str,
    ) -> Any:
        name = backup_plan["BackupPlanName"]
        if any(
            plan.backup_plan["BackupPlanName"] == name and plan.deletion_date is None
            for plan in self.plans.values()
        ):
            raise AlreadyExistsException(
                msg="Backup plan with the same plan document already exists"
            )
        plan = Plan(backup_plan=backup_plan, creator_request_id=creator_request_id, backend=self)
        if backup_plan_tags:
            self.tag_resource(plan.backup_plan_arn, backup_plan_tags)
        self.plans[plan.backup_plan_id] = plan
        return plan

    BackupBackend.create_backup_plan = create_backup_plan  # type: ignore[method-assign]


# ---------------------------------------------------------------- GAP 15: backup plan updates


def fix_backup_plan_updates() -> None:
    from moto.backup.exceptions import AlreadyExistsException, ResourceNotFoundException
    from moto.backup.models import Plan
    from moto.backup.responses import BackupResponse

    def update_backup_plan(self: Any) -> str:
        plan_id = unquote(self.path.split("?")[0].rstrip("/").split("/plans/", 1)[1])
        backend = self.backup_backend
        plan = backend.get_backup_plan(backup_plan_id=plan_id, version_id=None)
        if plan.deletion_date is not None:
            raise ResourceNotFoundException(msg=f"Backup plan {plan_id} was deleted")
        revised = json.loads(self.body)["BackupPlan"]
        name = revised["BackupPlanName"]
        if any(
            other is not plan
            and other.deletion_date is None
            and other.backup_plan["BackupPlanName"] == name
            for other in backend.plans.values()
        ):
            raise AlreadyExistsException(msg=f"Backup plan {name} already exists")
        # A new version of the same plan: moto's Plan fills in the rules' defaults and ids.
        version = Plan(
            backup_plan=revised, creator_request_id=plan.creator_request_id, backend=backend
        )
        plan.backup_plan = version.backup_plan
        plan.advanced_backup_settings = version.advanced_backup_settings
        plan.version_id = version.version_id
        return json.dumps(
            {
                "BackupPlanId": plan.backup_plan_id,
                "BackupPlanArn": plan.backup_plan_arn,
                "CreationDate": plan.creation_date,
                "VersionId": plan.version_id,
                "AdvancedBackupSettings": plan.advanced_backup_settings,
            }
        )

    BackupResponse.update_backup_plan = update_backup_plan  # type: ignore[attr-defined]


# ---------------------------------------------------------------- GAP 16: API Gateway tags


def fix_apigateway_tags() -> None:
    from moto.apigateway import urls
    from moto.apigateway.exceptions import NotFoundException
    from moto.apigateway.responses import APIGatewayResponse

    def tagged(response: Any) -> Any:
        """The tagged object of an ARN: arn:aws:apigateway:<region>::/restapis/<id>,
        .../restapis/<id>/stages/<name>, .../apikeys/<id> or .../usageplans/<id>."""
        arn = unquote(response.path.split("?")[0].split("/tags/", 1)[1])
        parts = arn.partition("::")[2].strip("/").split("/")
        backend = response.backend
        if parts[0] == "restapis" and len(parts) == 2:
            return backend.get_rest_api(parts[1])
        if parts[0] == "restapis" and len(parts) == 4 and parts[2] == "stages":
            return backend.get_stage(parts[1], parts[3])
        if parts[0] == "apikeys" and len(parts) == 2:
            return backend.get_api_key(parts[1])
        if parts[0] == "usageplans" and len(parts) == 2:
            return backend.get_usage_plan(parts[1])
        raise NotFoundException(f"Invalid resource ARN (or not taggable here): {arn}")

    def tag_resource(self: Any) -> tuple[int, dict[str, str], str]:
        found = tagged(self)
        found.tags = {**(found.tags or {}), **(self._get_param("tags") or {})}
        return 204, {}, ""

    def untag_resource(self: Any) -> tuple[int, dict[str, str], str]:
        found = tagged(self)
        keys = set(self.querystring.get("tagKeys") or [])
        found.tags = {k: v for k, v in (found.tags or {}).items() if k not in keys}
        return 204, {}, ""

    def get_tags(self: Any) -> str:
        return json.dumps({"tags": tagged(self).tags or {}})

    # moto routes /tags/<arn> for stages only: any other ARN has more slashes than its
    # patterns allow (the SDKs encode them, werkzeug decodes them before routing).
    # Read when moto builds the API Gateway application, on the first request.
    pattern = "{0}/tags/arn:(?P<partition>[^/:]+):apigateway:(?P<region>[^/:]*)::/(?P<path>.+)$"
    urls.url_paths[pattern] = APIGatewayResponse.dispatch
    APIGatewayResponse.tag_resource = tag_resource  # type: ignore[method-assign,assignment]
    APIGatewayResponse.untag_resource = untag_resource  # type: ignore[method-assign,assignment]
    APIGatewayResponse.get_tags = get_tags  # type: ignore[attr-defined]


# ---------------------------------------------------------------- GAP 17: atomic DynamoDB writes


_table_locks: dict[tuple[int, str], threading.RLock] = {}
_table_locks_guard = threading.Lock()


def table_lock(backend: Any, table_name: str) -> threading.RLock:
    """The lock of one table of one backend (account and region)."""
    with _table_locks_guard:
        return _table_locks.setdefault((id(backend), table_name), threading.RLock())


def fix_dynamodb_atomic_writes() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    def serialised(name: str) -> None:
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
            with table_lock(self, table_name):
                return original(self, table_name, *args, **kwargs)

        setattr(DynamoDBBackend, name, locked)

    for name in ("put_item", "update_item", "delete_item", "query", "scan"):
        serialised(name)

    original_transact = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        # Every table of the transaction, locked in one order: no deadlock between two.
        names = sorted(
            {
                op["TableName"]
                for item in transact_items
                for op in item.values()
                if "TableName" in op
            }
        )
        with contextlib.ExitStack() as stack:
            for name in names:
                stack.enter_context(table_lock(self, name))
            original_transact(self, transact_items)

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def apply_gap_fixes(base_url: str) -> None:
    fix_bucket_policies()
    fix_s3_notifications()
    fix_sqs_event_source_mappings()
    fix_function_configuration()
    fix_code_locations(base_url)
    fix_event_source_mapping_validation()
    fix_sqs_queue_attributes()
    fix_post_policies()
    fix_post_signatures()
    fix_s3_cors()
    fix_backup_selections()
    fix_aws_managed_policies()
    fix_backup_recovery_points()
    fix_apigateway_updates()
    fix_backup_plan_names()
    fix_backup_plan_updates()
    fix_apigateway_tags()
    fix_dynamodb_atomic_writes()
    fix_response_overrides()
