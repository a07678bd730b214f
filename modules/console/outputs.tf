output "path" {
  description = "Path of the page under the stage: the console is at <api_url>/<path>."
  value       = var.path_part
}

output "function_name" {
  description = "Name of the console function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the console function."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the console function's role (logs only)."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Log group of the console function."
  value       = aws_cloudwatch_log_group.this.name
}

# For modules/api's deployment: a hash of this module's API configuration, known
# at plan time (a new value, a new deployment), and, through depends_on, the
# order: the deployment snapshots the API only once these routes exist.
output "deployment_trigger" {
  description = "Hash of the console's routes and integration settings, for the API deployment's triggers (modules/api var.deployment_triggers)."
  value = sha1(jsonencode({
    path          = var.path_part
    asset_param   = local.asset_param
    routes        = local.routes
    method_access = local.method_access
    validator     = local.validator
    integration   = merge(local.proxy_integration, { function_name = local.function_name })
  }))

  depends_on = [
    aws_api_gateway_resource.page,
    aws_api_gateway_resource.asset,
    aws_api_gateway_request_validator.this,
    aws_api_gateway_method.this,
    aws_api_gateway_integration.this,
  ]
}
