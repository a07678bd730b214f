"""A real browser uploads through the sandbox as a web page on another origin would.

Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) opens a page
served from its own port, asks a small API for a presigned POST (a preflighted
cross-origin fetch, answered by the API's MOCK integration with the CORS template
of modules/api/cors.tf and a list of origins), then posts the file to S3 with it
(the bucket's CORS rules, the POST policy and its signature). A page from an
origin that is not in the list gets no answer it may read.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sandbox_helpers import Sandbox, free_port, unique, zip_of
from test_api_front_fidelity import preflight_template

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")
if shutil.which(CHROMIUM) is None:  # CI installs it (.ci/run); say so rather than skip quietly
    pytest.skip(f"no {CHROMIUM}: apt-get install chromium", allow_module_level=True)

PRESIGN = """
    import json
    import os

    import boto3

    s3 = boto3.client("s3")
    ALLOWED = json.loads(os.environ["ALLOWED_ORIGINS"])


    def handler(event, context):
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        wanted = json.loads(event["body"])
        post = s3.generate_presigned_post(
            os.environ["BUCKET"],
            "uploads/" + wanted["name"],
            Fields={"Content-Type": wanted["type"]},
            Conditions=[{"Content-Type": wanted["type"]}, ["content-length-range", 1, 1000]],
            ExpiresIn=300,
        )
        answer = {"Content-Type": "application/json", "Vary": "Origin"}
        if headers.get("origin") in ALLOWED:
            answer["Access-Control-Allow-Origin"] = headers["origin"]
        return {"statusCode": 200, "headers": answer, "body": json.dumps(post)}
"""

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>upload</title></head><body>
<script>
async function upload(api, text) {
  const asked = await fetch(api + "/uploads", {
    method: "POST",
    headers: {"Content-Type": "application/json", "x-api-key": "not-needed-here"},
    body: JSON.stringify({name: "hello.txt", type: "text/plain"}),
  });
  const post = await asked.json();
  const form = new FormData();
  for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
  form.append("file", new Blob([text], {type: "text/plain"}), "hello.txt");  // last, as S3 wants
  const stored = await fetch(post.url, {method: "POST", body: form});
  return {status: stored.status, key: post.fields.key};
}

async function postOnly(post, text) {
  const form = new FormData();
  for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
  form.append("file", new Blob([text], {type: "text/plain"}), "other.txt");
  const stored = await fetch(post.url, {method: "POST", body: form});
  return stored.status;
}
</script></body></html>
"""


@dataclass
class Site:
    api_url: str
    bucket: str
    allowed_page: str  # http://127.0.0.1:<port>/page.html
    other_page: str  # the same page from http://localhost:<port>: another origin


@pytest.fixture(scope="module")
def site(box: Sandbox, role_arn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("site")
    (root / "page.html").write_text(PAGE)
    port = free_port()
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    allowed_origin = f"http://127.0.0.1:{port}"
    origins = ["https://app.example.com", allowed_origin]

    bucket = unique("browser")
    s3 = box.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": origins,
                    "AllowedMethods": ["POST", "GET", "HEAD"],
                    "AllowedHeaders": ["*"],
                    "MaxAgeSeconds": 600,
                }
            ]
        },
    )
    function_arn = box.client("lambda").create_function(
        FunctionName=unique("presign"),
        Runtime="python3.12",
        Role=role_arn,
        Handler="app.handler",
        Code={"ZipFile": zip_of({"app.py": PRESIGN})},
        Timeout=30,
        Environment={"Variables": {"BUCKET": bucket, "ALLOWED_ORIGINS": json.dumps(origins)}},
    )["FunctionArn"]
    api_url = deploy_api(box, function_arn, origins)
    try:
        yield Site(
            api_url=api_url,
            bucket=bucket,
            allowed_page=f"{allowed_origin}/page.html",
            other_page=f"http://localhost:{port}/page.html",
        )
    finally:
        server.shutdown()
        server.server_close()


def deploy_api(box: Sandbox, function_arn: str, origins: list[str]) -> str:
    """POST /uploads (the function) and its preflight, as modules/api deploys them."""
    ag = box.client("apigateway")
    api = ag.create_rest_api(name=unique("browser"))["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    uploads = ag.create_resource(restApiId=api, parentId=root, pathPart="uploads")["id"]
    ag.put_method(restApiId=api, resourceId=uploads, httpMethod="POST", authorizationType="NONE")
    ag.put_integration(
        restApiId=api,
        resourceId=uploads,
        httpMethod="POST",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    ag.put_method(restApiId=api, resourceId=uploads, httpMethod="OPTIONS", authorizationType="NONE")
    ag.put_integration(
        restApiId=api,
        resourceId=uploads,
        httpMethod="OPTIONS",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    ag.put_method_response(
        restApiId=api, resourceId=uploads, httpMethod="OPTIONS", statusCode="200"
    )
    ag.put_integration_response(
        restApiId=api,
        resourceId=uploads,
        httpMethod="OPTIONS",
        statusCode="200",
        responseParameters={
            "method.response.header.Access-Control-Allow-Headers": (
                "'Content-Type,X-Api-Key,Authorization,X-Amz-Date,X-Amz-Security-Token'"
            ),
            "method.response.header.Access-Control-Allow-Methods": "'POST,OPTIONS'",
            "method.response.header.Access-Control-Max-Age": "'600'",
            "method.response.header.Vary": "'Origin'",
        },
        responseTemplates={"application/json": preflight_template(origins)},
    )
    ag.create_deployment(restApiId=api, stageName="v1")
    return f"{box.settings.api_endpoint}/{api}/v1"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox"],  # root in CI: Chromium's own sandbox needs user namespaces
        )
        try:
            yield launched
        finally:
            launched.close()


def test_a_page_of_a_listed_origin_uploads_through_a_presigned_post(
    box: Sandbox, site: Site, browser: Any
) -> None:
    page = browser.new_page()
    try:
        page.goto(site.allowed_page)
        text = "hello from chromium"
        result = page.evaluate("([api, text]) => upload(api, text)", [site.api_url, text])
    finally:
        page.close()
    assert result == {"status": 204, "key": "uploads/hello.txt"}
    stored = box.client("s3").get_object(Bucket=site.bucket, Key="uploads/hello.txt")
    assert stored["Body"].read() == text.encode()
    assert stored["ContentType"] == "text/plain"


def test_a_page_of_another_origin_is_stopped_at_the_preflight(site: Site, browser: Any) -> None:
    page = browser.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    try:
        page.goto(site.other_page)
        with pytest.raises(sync_api.Error, match="Failed to fetch"):
            page.evaluate("([api, text]) => upload(api, text)", [site.api_url, "nope"])
    finally:
        page.close()
    assert any("CORS" in line for line in refused), refused


def test_s3_answers_another_origin_by_the_buckets_rules(
    box: Sandbox, site: Site, browser: Any
) -> None:
    """The API aside: a valid presigned POST from a page the bucket's CORS rules do not list."""
    post = box.client("s3").generate_presigned_post(site.bucket, "uploads/other.txt")
    page = browser.new_page()
    try:
        page.goto(site.other_page)
        with pytest.raises(sync_api.Error, match="Failed to fetch"):
            page.evaluate("([post, text]) => postOnly(post, text)", [post, "other"])
        page.goto(site.allowed_page)
        assert page.evaluate("([post, text]) => postOnly(post, text)", [post, "listed"]) == 204
    finally:
        page.close()
