output "api_id" {
  description = "Id of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "api_root_resource_id" {
  description = "Id of the API's root resource (/), where other modules add their paths."
  value       = aws_api_gateway_rest_api.this.root_resource_id
}

output "api_execution_arn" {
  description = "Execution ARN of the REST API."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "api_url" {
  description = "Base URL of the API (the stage's invoke URL); the routes are under /files."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "api_key_id" {
  description = "Id of the API key in the usage plan: the one created here, or external_api_key_id."
  value       = local.api_key_id
}

output "api_key_value" {
  description = "Value of the API key created here, for the x-api-key header; null with external_api_key_id (its value stays outside Terraform)."
  value       = one(aws_api_gateway_api_key.this[*].value)
  sensitive   = true
}

output "usage_plan_id" {
  description = "Id of the usage plan (throttling and quota per key)."
  value       = aws_api_gateway_usage_plan.this.id
}

output "access_log_group_name" {
  description = "Log group of the stage's JSON access logs."
  value       = aws_cloudwatch_log_group.access.name
}
