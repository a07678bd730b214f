"""Who the sandbox's callers are: moto's default account and fake credentials.

moto maps any access key to its default account, so every tool (the runner,
the API front, the Terraform wrapper, the CLI) calls the sandbox with these and
no real credential can leak into a sandbox run, nor a sandbox call reach AWS.
"""

from __future__ import annotations

from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account: every sandbox caller
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "sandbox",
    "AWS_SECRET_ACCESS_KEY": "sandbox",
    "AWS_SESSION_TOKEN": "sandbox",
}


def client(service: str, endpoint: str, region: str, config: Any = None) -> Any:
    """A boto3 client for the sandbox at ``endpoint`` with the fake credentials."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
        region_name=region,
    )
    return session.client(service, endpoint_url=endpoint, config=config)  # type: ignore[call-overload]
