"""Lambda entry point of the REST API (API Gateway REST proxy integration, v1.0 events).

Settings, clients and the app are built once per container, at import.
"""

from __future__ import annotations

from fileproc import handlers

with handlers.loading():
    from typing import Any

    import boto3
    from aws_lambda_powertools.logging import correlation_paths
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from fileproc.api.app import create_app
    from fileproc.api.presign import make_s3_client
    from fileproc.config import load_settings
    from fileproc.observability import logger, metrics, tracer

    settings = load_settings()
    metrics.set_default_dimensions(environment=settings.environment)

    app = create_app(settings, boto3.client("dynamodb"), make_s3_client(), metrics)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    # Responses hold presigned URLs: keep them out of the traces.
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)
