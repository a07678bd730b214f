# fileproc: an uploads bucket and a files table (storage), the functions that
# process uploads and serve the API with their queues and alarms (compute),
# the REST API in front of the api function (api), and the web console served
# by that API (console, optional).

locals {
  name_prefix = "${var.project}-${var.environment}"

  # Applied to every taggable resource through the provider's default_tags.
  tags = merge(var.tags, {
    Environment = var.environment
    Project     = var.project
    Owner       = var.owner
  })

  function_zip_path = coalesce(var.function_zip_path, "${path.root}/build/function.zip")
  # The layers `make build` makes from the sections of lambda_src/requirements.txt
  # (tools/fileproc_tools/build.py plan_layers; a tools test keeps the two the same).
  layers           = ["common", "image", "document", "data", "api"]
  layer_zip_paths  = var.layer_zip_paths != null ? var.layer_zip_paths : { for name in local.layers : name => "${path.root}/build/layer-${name}-${var.lambda_runtime}-${var.lambda_architecture}.zip" }
  console_zip_path = coalesce(var.console.zip_path, "${path.root}/build/console.zip")

  # The console's page is served by the API, so the browser uploads to the
  # bucket from the API's origin; "*" admits it already.
  console_origins = var.console.enabled && !contains(var.cors_allowed_origins, "*") ? [regex("^https?://[^/]+", module.api.api_url)] : []

  # Whether there is a key is known at plan time; its ARN only after apply.
  kms_key = var.use_customer_managed_key ? { arn = module.storage.kms_key_arn } : null
}

module "storage" {
  source = "./modules/storage"

  name_prefix                            = local.name_prefix
  account_id                             = var.aws_account_id
  region                                 = var.region
  force_destroy                          = var.force_destroy
  deletion_protection                    = var.deletion_protection
  noncurrent_version_expiration_days     = var.noncurrent_version_expiration_days
  abort_incomplete_multipart_upload_days = var.abort_incomplete_multipart_upload_days
  cors_allowed_origins                   = var.cors_allowed_origins
  console_origins                        = local.console_origins
  customer_managed_key                   = var.use_customer_managed_key
  backup                                 = var.backup
}

module "compute" {
  source = "./modules/compute"

  name_prefix               = local.name_prefix
  project                   = var.project
  environment               = var.environment
  account_id                = var.aws_account_id
  region                    = var.region
  lambda_runtime            = var.lambda_runtime
  lambda_architecture       = var.lambda_architecture
  function_zip_path         = local.function_zip_path
  layer_zip_paths           = local.layer_zip_paths
  functions                 = var.functions
  bucket_name               = module.storage.bucket_name
  table_name                = module.storage.table_name
  table_index_names         = module.storage.table_index_names
  kms_key                   = local.kms_key
  log_retention_days        = var.log_retention_days
  log_level                 = var.log_level
  max_receive_count         = var.max_receive_count
  processing                = var.processing
  bedrock                   = var.bedrock
  presigned_url_ttl_seconds = var.presigned_url_ttl_seconds
  cors_allowed_origins      = var.cors_allowed_origins
  vpc_config                = var.vpc_config
  alarm_email               = var.alarm_email
  queue_age_alarm_seconds   = var.queue_age_alarm_seconds
}

module "api" {
  source = "./modules/api"

  name_prefix          = local.name_prefix
  account_id           = var.aws_account_id
  region               = var.region
  function_name        = module.compute.api_function_name
  function_invoke_arn  = module.compute.api_function_invoke_arn
  cors_allowed_origins = var.cors_allowed_origins
  stage_name           = var.api.stage_name
  throttle = {
    rate_limit  = var.api.throttle_rate_limit
    burst_limit = var.api.throttle_burst_limit
  }
  quota                       = var.api.quota
  external_api_key_id         = var.api.external_api_key_id
  logging_level               = var.api.logging_level
  manage_account_logging_role = var.api.manage_account_logging_role
  log_retention_days          = var.log_retention_days
  kms_key                     = local.kms_key
  alarm_topic_arn             = module.compute.alarm_topic_arn
  error_rate_alarm_threshold  = var.api.error_rate_alarm_threshold
  latency_alarm_threshold_ms  = var.api.latency_alarm_threshold_ms
  deployment_triggers         = var.console.enabled ? { console = module.console[0].deployment_trigger } : {}
}

module "console" {
  source = "./modules/console"
  count  = var.console.enabled ? 1 : 0

  name_prefix = local.name_prefix
  account_id  = var.aws_account_id
  region      = var.region
  api = {
    id               = module.api.api_id
    root_resource_id = module.api.api_root_resource_id
    execution_arn    = module.api.api_execution_arn
  }
  stage_name          = module.api.stage_name
  path_part           = var.console.path
  zip_path            = local.console_zip_path
  lambda_runtime      = var.lambda_runtime
  lambda_architecture = var.lambda_architecture
  bucket_name         = module.storage.bucket_name
  max_upload_bytes    = module.compute.max_upload_bytes
  log_retention_days  = var.log_retention_days
  kms_key             = local.kms_key
}
