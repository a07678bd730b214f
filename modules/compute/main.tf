data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  region    = var.region

  # Key layout shared with the code (docs/contracts.md): only keys under
  # upload_prefix are processed; artefacts go under derived_prefix, which
  # therefore never triggers processing.
  upload_prefix  = "uploads/"
  derived_prefix = "derived/"

  kms_key_arn = var.kms_key == null ? null : var.kms_key.arn

  processors = toset(["image", "document", "data"])
  roles      = toset(["image", "document", "data", "api"])

  function_names = { for role in local.roles : role => "${var.name_prefix}-${role}" }

  # Each function's layers, in the order Lambda applies them: common, then its own
  # (the build's function_layers).
  layer_names     = { for name in keys(var.layer_zip_paths) : name => "${var.name_prefix}-deps-${name}" }
  function_layers = { for role in local.roles : role => [for name in ["common", role] : name if contains(keys(var.layer_zip_paths), name)] }

  # Every ARN below is built from names, so the policies are known at plan time.
  bucket_arn     = "arn:${local.partition}:s3:::${var.bucket_name}"
  table_arn      = "arn:${local.partition}:dynamodb:${local.region}:${var.account_id}:table/${var.table_name}"
  index_arns     = [for name in values(var.table_index_names) : "${local.table_arn}/index/${name}"]
  queue_names    = { for role in local.processors : role => "${var.name_prefix}-${role}-queue" }
  queue_arns     = { for role, name in local.queue_names : role => "arn:${local.partition}:sqs:${local.region}:${var.account_id}:${name}" }
  dlq_names      = { for role in local.processors : role => "${var.name_prefix}-${role}-dlq" }
  dlq_arns       = { for role, name in local.dlq_names : role => "arn:${local.partition}:sqs:${local.region}:${var.account_id}:${name}" }
  log_group_arns = { for role, name in local.function_names : role => "arn:${local.partition}:logs:${local.region}:${var.account_id}:log-group:/aws/lambda/${name}" }

  # Everything fileproc.config reads; every function gets all of it.
  common_environment = {
    TABLE_NAME                   = var.table_name
    BUCKET_NAME                  = var.bucket_name
    UPLOAD_PREFIX                = local.upload_prefix
    DERIVED_PREFIX               = local.derived_prefix
    INDEX_ALL                    = var.table_index_names.all
    INDEX_STATUS                 = var.table_index_names.status
    INDEX_CATEGORY               = var.table_index_names.category
    INDEX_CATEGORY_STATUS        = var.table_index_names.category_status
    MAX_IMAGE_BYTES              = tostring(var.processing.max_image_bytes)
    MAX_DOCUMENT_BYTES           = tostring(var.processing.max_document_bytes)
    MAX_DATA_BYTES               = tostring(var.processing.max_data_bytes)
    THUMBNAIL_MAX_PX             = tostring(var.processing.thumbnail_max_px)
    IMAGE_MAX_PIXELS             = tostring(var.processing.image_max_pixels)
    IMAGE_DECODE_BUDGET_MB       = tostring(var.processing.image_decode_budget_mb)
    EXIF_INCLUDE_GPS             = tostring(var.processing.exif_include_gps)
    TEXT_MAX_PAGES               = tostring(var.processing.text_max_pages)
    TEXT_MAX_CHARS               = tostring(var.processing.text_max_chars)
    PREVIEW_CHARS                = tostring(var.processing.preview_chars)
    BEDROCK_ENABLED              = tostring(var.bedrock.enabled)
    BEDROCK_MODEL_ID             = var.bedrock.model_id
    BEDROCK_MAX_INPUT_CHARS      = tostring(var.bedrock.max_input_chars)
    DOWNLOAD_URL_TTL_SECONDS     = tostring(var.presigned_url_ttl_seconds.download)
    UPLOAD_URL_TTL_SECONDS       = tostring(var.presigned_url_ttl_seconds.upload)
    ALLOWED_ORIGINS              = join(",", var.cors_allowed_origins)
    POWERTOOLS_METRICS_NAMESPACE = var.project
    ENVIRONMENT                  = var.environment
  }

  # Only the processors read a queue: the delivery with this receive count is
  # a message's last before the DLQ, so the code records the file FAILED
  # (retryable) then rather than leaving it PROCESSING.
  processor_environment = {
    MAX_RECEIVE_COUNT = tostring(var.max_receive_count)
  }
}

# One layer per zip of `make build`: common (every function) and one per function
# whose engines the others do not import (tools/fileproc_tools/build.py).
resource "aws_lambda_layer_version" "this" {
  for_each = var.layer_zip_paths

  layer_name               = local.layer_names[each.key]
  description              = each.key == "common" ? "Third-party packages of every fileproc function (${var.lambda_runtime}, ${var.lambda_architecture})" : "Third-party packages of the fileproc ${each.key} function only (${var.lambda_runtime}, ${var.lambda_architecture})"
  filename                 = each.value
  source_code_hash         = filebase64sha256(each.value)
  compatible_runtimes      = [var.lambda_runtime]
  compatible_architectures = [var.lambda_architecture]
}

# Created before the functions, so that Lambda never creates them itself
# (without retention or encryption).
resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (log_retention_days: 7 days by default as the seed asks, 90 in prod); a year of debug logs is a cost decision per environment
  for_each = local.function_names

  name              = "/aws/lambda/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:No function DLQ: processors are invoked by SQS event source mappings, whose failed messages go to the queue's own DLQ; the api function is invoked synchronously. A function DLQ only serves asynchronous invocations
  #checkov:skip=CKV_AWS_272:No code signing: the zips are built reproducibly by make build from this repository; signing needs an AWS Signer profile outside this stack
  for_each = local.function_names

  function_name = each.value
  description   = "fileproc ${each.key} function"
  role          = aws_iam_role.function[each.key].arn
  handler       = "fileproc.handlers.${each.key}.handler"
  runtime       = var.lambda_runtime
  architectures = [var.lambda_architecture]

  filename         = var.function_zip_path
  source_code_hash = filebase64sha256(var.function_zip_path)
  layers           = [for name in local.function_layers[each.key] : aws_lambda_layer_version.this[name].arn]

  memory_size                    = var.functions[each.key].memory_mb
  timeout                        = var.functions[each.key].timeout_seconds
  reserved_concurrent_executions = coalesce(var.functions[each.key].reserved_concurrency, -1)
  kms_key_arn                    = local.kms_key_arn

  environment {
    variables = merge(
      local.common_environment,
      contains(local.processors, each.key) ? local.processor_environment : {},
      { POWERTOOLS_SERVICE_NAME = "${var.project}-${each.key}" },
    )
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.function[each.key].name
    application_log_level = var.log_level
    system_log_level      = "WARN"
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  # The role must be able to write logs (and read its queue) before the first
  # invocation.
  depends_on = [
    aws_cloudwatch_log_group.function,
    aws_iam_role_policy.function,
    aws_iam_role_policy.kms,
  ]
}
