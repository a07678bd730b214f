# The web console, served by the stack's own REST API: GET <api_url>/console is
# the page, GET <api_url>/console/<file> its scripts and styles, both answered
# by a small function that holds the static files in memory. Same origin as the
# API, so the page calls it without CORS, over the API's HTTPS, and no second
# hosting service (bucket, CloudFront) is needed. These two methods take no API
# key: the page holds no secret, and the person types the key into the page,
# which sends it on every data call (README: Access).

data "aws_partition" "current" {}

locals {
  partition     = data.aws_partition.current.partition
  region        = var.region
  kms_key_arn   = var.kms_key == null ? null : var.kms_key.arn
  function_name = "${var.name_prefix}-console"
  log_group_arn = "arn:${local.partition}:logs:${local.region}:${var.account_id}:log-group:/aws/lambda/${local.function_name}"

  # /console (the page) and /console/{asset} (its files); the handler knows
  # which files exist and answers 404 for the rest.
  routes = {
    page = {
      path_param = false
    }
    asset = {
      path_param = true
    }
  }
  asset_param = "asset"

  # No API key, no authorisation: a browser loads a page and its scripts
  # without custom headers. Lambda proxy integrations, as every API route.
  method_access = {
    http_method      = "GET"
    authorization    = "NONE"
    api_key_required = false
  }
  proxy_integration = {
    type                    = "AWS_PROXY"
    integration_http_method = "POST"
  }
  validator = {
    name                        = "${var.path_part}-parameters"
    validate_request_parameters = true
    validate_request_body       = false
  }

  resource_ids = {
    page  = aws_api_gateway_resource.page.id
    asset = aws_api_gateway_resource.asset.id
  }
}

# --- the routes ------------------------------------------------------------------

resource "aws_api_gateway_resource" "page" {
  rest_api_id = var.api.id
  parent_id   = var.api.root_resource_id
  path_part   = var.path_part
}

resource "aws_api_gateway_resource" "asset" {
  rest_api_id = var.api.id
  parent_id   = aws_api_gateway_resource.page.id
  path_part   = "{${local.asset_param}}"
}

resource "aws_api_gateway_request_validator" "this" {
  rest_api_id                 = var.api.id
  name                        = local.validator.name
  validate_request_parameters = local.validator.validate_request_parameters
  validate_request_body       = local.validator.validate_request_body
}

resource "aws_api_gateway_method" "this" {
  #checkov:skip=CKV_AWS_59:The console's page and static files are public by design (no secret in them); every data route keeps its API key, which the person enters in the page
  for_each = local.routes

  rest_api_id          = var.api.id
  resource_id          = local.resource_ids[each.key]
  http_method          = local.method_access.http_method
  authorization        = local.method_access.authorization
  api_key_required     = local.method_access.api_key_required
  request_validator_id = aws_api_gateway_request_validator.this.id
  request_parameters   = each.value.path_param ? { "method.request.path.${local.asset_param}" = true } : {}
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.routes

  rest_api_id             = var.api.id
  resource_id             = aws_api_gateway_method.this[each.key].resource_id
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = local.proxy_integration.type
  integration_http_method = local.proxy_integration.integration_http_method
  uri                     = aws_lambda_function.this.invoke_arn
}

# Only this API's stage may invoke the function, and only for these routes.
resource "aws_lambda_permission" "api" {
  for_each = { page = "", asset = "/*" }

  statement_id_prefix = "AllowInvokeFrom-${var.name_prefix}-api-"
  action              = "lambda:InvokeFunction"
  function_name       = aws_lambda_function.this.function_name
  principal           = "apigateway.amazonaws.com"
  source_arn          = "${var.api.execution_arn}/${var.stage_name}/${local.method_access.http_method}/${var.path_part}${each.value}"
}

# --- the function ------------------------------------------------------------------

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = local.function_name
  description        = "Execution role of ${local.function_name}: writes its own logs, nothing else"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

# It reads files from its own package and calls no AWS service.
data "aws_iam_policy_document" "this" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }

  dynamic "statement" {
    for_each = local.kms_key_arn == null ? [] : [local.kms_key_arn]
    content {
      # The function's environment is encrypted with the stack's key.
      sid       = "DecryptEnvironment"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${local.function_name}-access"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (log_retention_days: 7 days by default, 90 in prod); a year of logs of a static file server is a cost decision per environment
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:No function DLQ: the function is invoked synchronously by API Gateway only; a DLQ serves asynchronous invocations
  #checkov:skip=CKV_AWS_272:No code signing: build/console.zip is built reproducibly by make build from this repository; signing needs an AWS Signer profile outside this stack
  #checkov:skip=CKV_AWS_117:Not in a VPC: the function reads its own package and calls nothing, so a VPC would add cold-start time and no protection
  #checkov:skip=CKV_AWS_50:No X-Ray tracing: the function calls no service, so its trace would show nothing the stage's own trace does not; its role stays logs-only
  function_name = local.function_name
  description   = "fileproc web console: the page and its static files"
  role          = aws_iam_role.this.arn
  handler       = "fileproc_console.handler"
  runtime       = var.lambda_runtime
  architectures = [var.lambda_architecture]

  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)

  # A static file server: little memory, answers in milliseconds. Unreserved
  # concurrency (-1): the stage's throttling bounds it.
  memory_size                    = 128
  timeout                        = 5
  reserved_concurrent_executions = -1
  kms_key_arn                    = local.kms_key_arn

  environment {
    variables = {
      BUCKET_NAME        = var.bucket_name
      MAX_IMAGE_BYTES    = tostring(var.max_upload_bytes.image)
      MAX_DOCUMENT_BYTES = tostring(var.max_upload_bytes.document)
      MAX_DATA_BYTES     = tostring(var.max_upload_bytes.data)
    }
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}
