data "aws_partition" "current" {}

locals {
  partition   = data.aws_partition.current.partition
  region      = var.region
  kms_key_arn = var.kms_key == null ? null : var.kms_key.arn

  # The API of docs/contracts.md; every route is a Lambda proxy integration
  # with the api function, which does the real validation and answers errors
  # as {"error": {"code", "message"}}. API Gateway rejects what is malformed
  # before it costs an invocation.
  routes = {
    list_files = {
      resource     = "files"
      http_method  = "GET"
      query_params = ["status", "category", "limit", "next_token"]
      path_param   = false
      body_model   = false
    }
    create_file = {
      resource     = "files"
      http_method  = "POST"
      query_params = []
      path_param   = false
      body_model   = true
    }
    get_file = {
      resource     = "file"
      http_method  = "GET"
      query_params = []
      path_param   = true
      body_model   = false
    }
    download_file = {
      resource     = "download"
      http_method  = "GET"
      query_params = ["artefact"] # thumbnail | text: an artefact instead of the upload
      path_param   = true
      body_model   = false
    }
  }

  # /files, /files/{file_id}, /files/{file_id}/download
  path_parts = {
    files    = "files"
    file     = "{file_id}"
    download = "download"
  }

  # Every route: an API key and no other authorisation; a Lambda proxy
  # integration (Lambda is always invoked with POST).
  method_access = {
    authorization    = "NONE"
    api_key_required = true
  }
  proxy_integration = {
    type                    = "AWS_PROXY"
    integration_http_method = "POST"
  }

  # Parameters on every route; the body too where there is one.
  validators = {
    parameters = {
      name                        = "parameters"
      validate_request_parameters = true
      validate_request_body       = false
    }
    body = {
      name                        = "parameters-and-body"
      validate_request_parameters = true
      validate_request_body       = true
    }
  }

  # The shape of `POST /files` (fileproc.api.models.UploadRequest); limits by
  # category (size, type) are the function's to check, as they depend on the
  # file's extension.
  create_file_model = {
    name         = "CreateFileRequest"
    content_type = "application/json"
    schema = jsonencode({
      "$schema" = "http://json-schema.org/draft-04/schema#"
      title     = "CreateFileRequest"
      type      = "object"
      required  = ["filename", "content_type", "size"]
      properties = {
        filename     = { type = "string", minLength = 1, maxLength = 255 }
        content_type = { type = "string", minLength = 1, maxLength = 255 }
        # A number that is a multiple of 1, not "integer": draft 4 calls 12.0 a
        # number only, the API (OpenAPI 3.1) takes it as the integer 12. At most
        # 5 GiB, what S3 stores in one POST (models.MAX_UPLOAD_BYTES).
        size = { type = "number", multipleOf = 1, minimum = 1, maximum = 5368709120 }
      }
      additionalProperties = false
    })
  }

  validator_ids = {
    parameters = aws_api_gateway_request_validator.parameters.id
    body       = aws_api_gateway_request_validator.body.id
  }

  resource_ids = {
    files    = aws_api_gateway_resource.files.id
    file     = aws_api_gateway_resource.file.id
    download = aws_api_gateway_resource.download.id
  }
}

resource "aws_api_gateway_rest_api" "this" {
  name           = "${var.name_prefix}-api"
  description    = "fileproc: upload, list and download processed files"
  api_key_source = "HEADER"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "files" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = local.path_parts.files
}

resource "aws_api_gateway_resource" "file" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.files.id
  path_part   = local.path_parts.file
}

resource "aws_api_gateway_resource" "download" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.file.id
  path_part   = local.path_parts.download
}

resource "aws_api_gateway_request_validator" "parameters" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = local.validators.parameters.name
  validate_request_parameters = local.validators.parameters.validate_request_parameters
  validate_request_body       = local.validators.parameters.validate_request_body
}

resource "aws_api_gateway_request_validator" "body" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = local.validators.body.name
  validate_request_parameters = local.validators.body.validate_request_parameters
  validate_request_body       = local.validators.body.validate_request_body
}

resource "aws_api_gateway_model" "create_file" {
  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = local.create_file_model.name
  description  = "Body of POST /files"
  content_type = local.create_file_model.content_type
  schema       = local.create_file_model.schema
}

resource "aws_api_gateway_method" "this" {
  #checkov:skip=CKV2_AWS_53:Every method has a request validator (local.validator_ids); checkov cannot resolve the for_each lookup, the plan tests check it
  for_each = local.routes

  rest_api_id      = aws_api_gateway_rest_api.this.id
  resource_id      = local.resource_ids[each.value.resource]
  http_method      = each.value.http_method
  authorization    = local.method_access.authorization
  api_key_required = local.method_access.api_key_required

  request_validator_id = local.validator_ids[each.value.body_model ? "body" : "parameters"]

  request_parameters = merge(
    { for q in each.value.query_params : "method.request.querystring.${q}" => false },
    each.value.path_param ? { "method.request.path.file_id" = true } : {},
  )
  request_models = each.value.body_model ? { (local.create_file_model.content_type) = aws_api_gateway_model.create_file.name } : {}
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_method.this[each.key].resource_id
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = local.proxy_integration.type
  integration_http_method = local.proxy_integration.integration_http_method
  uri                     = var.function_invoke_arn
}

# A deployment is a snapshot: the stage serves it until a new one is made. Any
# change to the configuration of a path, method, validator, model, integration,
# CORS or gateway response changes this hash, hence a new deployment that the
# stage then points at. The hash is of configuration (locals and variables),
# never of the resources themselves: the provider stores an empty map as null
# at apply and {} on refresh, so a hash of the resources changed on every plan.
# Keep every setting of those resources in these locals (here, cors.tf,
# errors.tf) so that it reaches the hash.
resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  triggers = {
    redeployment = sha1(jsonencode({
      paths         = local.path_parts
      routes        = local.routes
      method_access = local.method_access
      validators    = local.validators
      model         = local.create_file_model
      # The integration URI is the invoke ARN of this function (only known
      # after the function is created; its name is known now).
      integration = merge(local.proxy_integration, { function_name = var.function_name })
      cors = {
        origins   = var.cors_allowed_origins
        methods   = local.cors_methods
        preflight = local.preflight
        headers   = local.preflight_headers
        template  = local.preflight_origin_template
      }
      # Routes of other modules on this API (modules/console).
      added_routes = var.deployment_triggers
      gateway_errors = {
        for type, error in local.gateway_errors : type => {
          status_code = error.status_code
          headers     = local.gateway_error_headers
          template    = local.gateway_error_templates[type]
        }
      }
    }))
  }

  lifecycle {
    create_before_destroy = true
  }

  # The hash above refers to no resource, so only this orders the deployment
  # after what it snapshots: made in parallel, a fresh apply fails ("The REST
  # API doesn't contain any methods") and an update can snapshot before its
  # change lands. Every aws_api_gateway_* resource of the module but the API,
  # stage, keys and account setting belongs here (tests/terraform checks).
  # Terraform gives these create_before_destroy too (a dependency of a
  # create-before-destroy resource must be), so a route taken out of the module
  # is deleted after the new deployment: it stays on the stage until the next
  # one (terraform apply -replace=module.api.aws_api_gateway_deployment.this).
  depends_on = [
    aws_api_gateway_resource.files,
    aws_api_gateway_resource.file,
    aws_api_gateway_resource.download,
    aws_api_gateway_request_validator.parameters,
    aws_api_gateway_request_validator.body,
    aws_api_gateway_model.create_file,
    aws_api_gateway_method.this,
    aws_api_gateway_integration.this,
    aws_api_gateway_method.options,
    aws_api_gateway_integration.options,
    aws_api_gateway_method_response.options,
    aws_api_gateway_integration_response.options,
    aws_api_gateway_gateway_response.this,
  ]
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:No response caching: answers depend on the API key and change with every upload (records, presigned URLs that expire)
  #checkov:skip=CKV2_AWS_51:No client certificates: browsers call the API with an API key; mutual TLS needs a custom domain, outside this stack
  #checkov:skip=CKV2_AWS_4:Execution logging is ERROR or INFO on every method (variable logging_level refuses OFF); checkov cannot resolve the root's optional api.logging_level, the plan tests check each environment's level
  #checkov:skip=CKV2_AWS_29:WAF is optional and not part of this stack (API keys and usage-plan throttling limit abuse); associate a web ACL with the stage if the account has one
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      requestTime        = "$context.requestTime"
      ip                 = "$context.identity.sourceIp"
      userAgent          = "$context.identity.userAgent"
      apiKeyId           = "$context.identity.apiKeyId"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      protocol           = "$context.protocol"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationStatus  = "$context.integration.status"
      integrationLatency = "$context.integration.latency"
      errorMessage       = "$context.error.message"
      errorType          = "$context.error.responseType"
      xrayTraceId        = "$context.xrayTraceId"
    })
  }

  # Stage settings only take effect once API Gateway can write to CloudWatch.
  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.execution]
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:No response caching: answers depend on the API key and change with every upload
  #checkov:skip=CKV_AWS_308:No response caching, hence no cache to encrypt
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled = true
    logging_level   = var.logging_level
    # Full request and response bodies would put presigned URLs in the logs.
    data_trace_enabled = false
  }
}

# Only this API's stage (any method and path of it) may invoke the function.
resource "aws_lambda_permission" "api" {
  # A prefix, not a fixed id: a replaced API (create before destroy) adds its
  # statement before the old one is removed.
  statement_id_prefix = "AllowInvokeFrom-${var.name_prefix}-api-"
  action              = "lambda:InvokeFunction"
  function_name       = var.function_name
  principal           = "apigateway.amazonaws.com"
  source_arn          = "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}/*/*"
}
