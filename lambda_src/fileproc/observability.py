"""Logger, Tracer and Metrics shared by the four functions.

Created once per container, as Powertools recommends. Service name and
metrics namespace come from POWERTOOLS_SERVICE_NAME and
POWERTOOLS_METRICS_NAMESPACE, which modules/compute sets per function.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

# The X-Ray SDK instruments these libraries: every AWS call of the functions goes
# through botocore, and is traced as a subsegment. Tracer() alone would try a
# dozen libraries the functions never use, importing those it finds (sqlite3) at
# every cold start.
TRACED_LIBRARIES = ("botocore",)

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
