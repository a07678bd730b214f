# S3 -> one SQS queue per processor -> its function, with a DLQ per queue.
# The queue buffers bursts, retries with backoff and caps each processor's
# concurrency; messages that keep failing end in the DLQ (alarmed).

locals {
  # Suffix routing, the same extensions as fileproc.keys.EXTENSIONS. S3 suffix
  # filters are case-sensitive, so each suffix is routed in lower and upper
  # case ("IMG_001.JPG"); mixed case ("photo.Jpg") is not routed.
  suffixes = {
    image    = [".jpg", ".jpeg", ".png"]
    document = [".pdf", ".txt"]
    data     = [".csv", ".json", ".jsonl", ".ndjson", ".parquet"]
  }
  routes = merge([
    for role, suffixes in local.suffixes : {
      for suffix in distinct(concat(suffixes, [for s in suffixes : upper(s)])) :
      "${role}${suffix}" => { role = role, suffix = suffix }
    }
  ]...)

  # AWS's guidance for a Lambda event source: at least six times the function
  # timeout, plus the batching window, so a batch still running is never
  # delivered twice.
  visibility_timeout_seconds = {
    for role in local.processors : role =>
    6 * var.functions[role].timeout_seconds + var.functions[role].batching_window_seconds
  }
}

resource "aws_sqs_queue" "dlq" {
  for_each = local.processors

  name                              = local.dlq_names[each.key]
  message_retention_seconds         = 1209600 # 14 days, SQS's maximum: time to look and redrive
  sqs_managed_sse_enabled           = var.kms_key == null ? true : null
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key == null ? null : 300
}

resource "aws_sqs_queue" "this" {
  for_each = local.processors

  name                              = local.queue_names[each.key]
  visibility_timeout_seconds        = local.visibility_timeout_seconds[each.key]
  message_retention_seconds         = 345600 # 4 days
  receive_wait_time_seconds         = 20
  sqs_managed_sse_enabled           = var.kms_key == null ? true : null
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key == null ? null : 300

  redrive_policy = jsonencode({
    deadLetterTargetArn = local.dlq_arns[each.key]
    maxReceiveCount     = var.max_receive_count
  })

  # The redrive policy names the DLQ by its (known) ARN; it must exist first.
  depends_on = [aws_sqs_queue.dlq]
}

# Only the processor's own queue may dead-letter into its DLQ: another queue
# of the account naming this DLQ in its redrive policy is refused.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  for_each = local.processors

  queue_url = aws_sqs_queue.dlq[each.key].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [local.queue_arns[each.key]]
  })
}

data "aws_iam_policy_document" "queue" {
  for_each = local.processors

  statement {
    sid       = "UploadsBucketSendsEvents"
    actions   = ["sqs:SendMessage"]
    resources = [local.queue_arns[each.key]]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.bucket_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "this" {
  for_each = local.processors

  queue_url = aws_sqs_queue.this[each.key].id
  policy    = data.aws_iam_policy_document.queue[each.key].json
}

resource "aws_lambda_event_source_mapping" "this" {
  for_each = local.processors

  event_source_arn                   = local.queue_arns[each.key]
  function_name                      = aws_lambda_function.this[each.key].function_name
  batch_size                         = var.functions[each.key].batch_size
  maximum_batching_window_in_seconds = var.functions[each.key].batching_window_seconds
  # The handlers report the failed messages only; the rest of the batch is deleted.
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.functions[each.key].max_concurrency
  }

  # The queue by its (known) ARN, so it must exist first; and Lambda checks at
  # creation that the role can read it.
  depends_on = [aws_sqs_queue.this, aws_iam_role_policy.function, aws_iam_role_policy.kms]
}

# S3 allows one notification configuration per bucket: this is it.
resource "aws_s3_bucket_notification" "uploads" {
  bucket = var.bucket_name

  dynamic "queue" {
    for_each = local.routes
    content {
      id            = "${queue.value.role}-${trimprefix(queue.value.suffix, ".")}"
      queue_arn     = local.queue_arns[queue.value.role]
      events        = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
      filter_prefix = local.upload_prefix
      filter_suffix = queue.value.suffix
    }
  }

  # S3 sends a test event to every queue on save and fails unless each queue
  # exists and accepts it.
  depends_on = [aws_sqs_queue.this, aws_sqs_queue_policy.this]
}
