"""Logger, Tracer and Metrics shared by the four functions.

Created once per container, as Powertools recommends. Service name and
metrics namespace come from POWERTOOLS_SERVICE_NAME and
POWERTOOLS_METRICS_NAMESPACE, which modules/compute sets per function.
"""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

# The X-Ray SDK instruments these libraries: every AWS call of the functions goes
# through botocore, and is traced as a subsegment. Tracer() alone would try a
# dozen libraries the functions never use, importing those it finds (sqlite3) at
# every cold start.
TRACED_LIBRARIES = ("botocore",)

# Lambda sets the root logger to the function's log level (DEBUG in dev and the
# sandbox). At DEBUG botocore logs every request it signs: the SigV4 canonical
# request (with the session token) and the signature, presigned URLs included,
# which would put working credentials in CloudWatch. These libraries log at
# WARNING whatever the root level.
QUIET_LIBRARIES = ("botocore", "boto3", "urllib3", "s3transfer")
for _name in QUIET_LIBRARIES:
    logging.getLogger(_name).setLevel(logging.WARNING)

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)
metrics = Metrics()

# Metric names (namespace POWERTOOLS_METRICS_NAMESPACE, dimensions service,
# environment, category): dashboards and alarms refer to these.
FILES_PROCESSED = "FilesProcessed"
FILES_FAILED = "FilesFailed"
FILES_DELETED = "FilesDeleted"
EVENTS_SKIPPED = "EventsSkipped"
INVALID_MESSAGES = "InvalidMessages"
MESSAGES_RETRIED = "MessagesRetried"  # failed batch items, left for SQS to redeliver
PROCESSING_TIME = "ProcessingTime"


def count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def processing_time(milliseconds: float) -> None:
    metrics.add_metric(name=PROCESSING_TIME, unit=MetricUnit.Milliseconds, value=milliseconds)
