output "api_url" {
  description = "Base URL of the API (the stage's invoke URL); routes under /files."
  value       = module.api.api_url
}

output "console_url" {
  description = "URL of the web console (null when console.enabled is false); the person enters the API key in the page."
  value       = var.console.enabled ? "${module.api.api_url}/${module.console[0].path}" : null
}

output "api_id" {
  description = "Id of the REST API."
  value       = module.api.api_id
}

output "api_stage_name" {
  description = "Stage of the REST API."
  value       = module.api.stage_name
}

output "api_key_id" {
  description = "Id of the API key; `terraform output -raw api_key_value` prints its value (unless api.external_api_key_id)."
  value       = module.api.api_key_id
}

output "api_key_value" {
  description = "Value of the API key, for the x-api-key header; null with api.external_api_key_id."
  value       = module.api.api_key_value
  sensitive   = true
}

output "bucket_name" {
  description = "Name of the uploads bucket."
  value       = module.storage.bucket_name
}

output "bucket_arn" {
  description = "ARN of the uploads bucket."
  value       = module.storage.bucket_arn
}

output "table_name" {
  description = "Name of the files table."
  value       = module.storage.table_name
}

output "function_names" {
  description = "Function name by role: image, document, data, api."
  value       = module.compute.function_names
}

output "function_layer_names" {
  description = "Names of each function's layers by role (common, then the function's own), in the order Lambda applies them."
  value       = module.compute.function_layer_names
}

output "queue_urls" {
  description = "Processor queue URL by processor: image, document, data."
  value       = module.compute.queue_urls
}

output "dlq_urls" {
  description = "Dead-letter queue URL by processor: image, document, data."
  value       = module.compute.dlq_urls
}

output "alarm_topic_arn" {
  description = "SNS topic of every alarm of the stack."
  value       = module.compute.alarm_topic_arn
}

output "region" {
  description = "Region of the stack."
  value       = var.region
}

output "environment" {
  description = "Environment name."
  value       = var.environment
}

output "name_prefix" {
  description = "Prefix of every name: <project>-<environment>."
  value       = local.name_prefix
}
