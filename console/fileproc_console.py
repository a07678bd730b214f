"""The web console's function: serves the page and its static files from memory.

API Gateway routes ``GET /console`` (the page) and ``GET /console/{asset}`` (its
files) here as Lambda proxy events (modules/console). Only the files shipped in
``static/`` exist; everything else is a 404. Every answer carries a strict
Content-Security-Policy: scripts and styles from this origin only (no inline
code), connections to this origin (the API) and to the uploads bucket (the
presigned POST and GET), no framing. ``config.json`` is made here from the
environment: the deployed upload limits, so the page refuses a file too big
before sending it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

STATIC = Path(__file__).parent / "static"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}


def bucket_origins(env: Mapping[str, str]) -> list[str]:
    """Where the API's presigned links point: the SDK's endpoint when one is configured
    (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, as boto3 reads them), else the bucket's
    virtual-hosted names, global (us-east-1's) and regional."""
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        return [f"{parts.scheme}://{parts.netloc}"]
    bucket, region = env["BUCKET_NAME"], env["AWS_REGION"]
    return [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com"]


def security_headers(origins: list[str]) -> dict[str, str]:
    bucket = " ".join(origins)
    policy = "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' {bucket}",
            f"connect-src 'self' {bucket}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
        # Same names across deploys: the browser may keep a copy but asks each
        # time (a 304 when the ETag still matches), so a deploy is seen at once.
        "Cache-Control": "no-cache",
    }


def load_files(env: Mapping[str, str]) -> dict[str, tuple[str, str, str]]:
    """name -> (content type, text, ETag): the packaged files and config.json."""
    texts = {
        p.name: (TYPES[p.suffix], p.read_text()) for p in STATIC.iterdir() if p.suffix in TYPES
    }
    limits = {c: int(env[f"MAX_{c.upper()}_BYTES"]) for c in ("image", "document", "data")}
    texts["config.json"] = (TYPES[".json"], json.dumps({"max_bytes": limits}))
    return {
        name: (kind, text, '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"')
        for name, (kind, text) in texts.items()
    }


FILES = load_files(os.environ)
HEADERS = security_headers(bucket_origins(os.environ))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    name = (event.get("pathParameters") or {}).get("asset")
    if name is None and str(event.get("path", "")).endswith("/"):
        # /console/ would resolve the page's relative links one level too deep.
        page = str(event.get("resource", "/console")).rsplit("/", 1)[-1]
        return {"statusCode": 308, "headers": {**HEADERS, "Location": f"../{page}"}, "body": ""}
    found = FILES.get(name or "index.html")
    if found is None:
        body = json.dumps({"error": {"code": "not_found", "message": f"no console file {name!r}"}})
        return {
            "statusCode": 404,
            "headers": {**HEADERS, "Content-Type": TYPES[".json"]},
            "body": body,
        }
    content_type, text, etag = found
    headers = {**HEADERS, "Content-Type": content_type, "ETag": etag}
    request_headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if request_headers.get("if-none-match") == etag:
        return {"statusCode": 304, "headers": headers, "body": ""}
    return {"statusCode": 200, "headers": headers, "body": text}
