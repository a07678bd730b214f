"""The local sandbox: moto on loopback with this project's gap fixes, a Lambda runner and
an API Gateway front (README, "Local sandbox").

control.py starts and stops it (``make sandbox-up|down|status``, and the
functions below for the other tools); server.py is the process itself; gaps.py
and policy.py are where it differs from plain moto.
"""

from fileproc_sandbox.control import (
    ENV_NAME,
    START_ID_OUTPUT,
    SandboxError,
    Settings,
    api_endpoint_url,
    down,
    endpoint_url,
    ensure_up,
    health,
    is_running,
    start_id,
    status,
    up,
)

__all__ = [
    "ENV_NAME",
    "START_ID_OUTPUT",
    "SandboxError",
    "Settings",
    "api_endpoint_url",
    "down",
    "endpoint_url",
    "ensure_up",
    "health",
    "is_running",
    "start_id",
    "status",
    "up",
]
