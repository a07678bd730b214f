output "function_names" {
  description = "Function name by role (image, document, data, api)."
  value       = { for role, f in aws_lambda_function.this : role => f.function_name }
}

output "function_arns" {
  description = "Function ARN by role."
  value       = { for role, f in aws_lambda_function.this : role => f.arn }
}

output "api_function_name" {
  description = "Name of the api function, for the API Gateway permission."
  value       = aws_lambda_function.this["api"].function_name
}

output "api_function_invoke_arn" {
  description = "Invoke ARN of the api function, for the API Gateway proxy integration."
  value       = aws_lambda_function.this["api"].invoke_arn
}

output "role_arns" {
  description = "Execution role ARN by role."
  value       = { for role, r in aws_iam_role.function : role => r.arn }
}

output "log_group_names" {
  description = "Log group name by role."
  value       = { for role, g in aws_cloudwatch_log_group.function : role => g.name }
}

output "layer_arns" {
  description = "ARN (with version) of each layer by name (common, and the functions' own)."
  value       = { for name, layer in aws_lambda_layer_version.this : name => layer.arn }
}

output "function_layer_names" {
  description = "Names of each function's layers by role, in the order Lambda applies them."
  value       = { for role, names in local.function_layers : role => [for name in names : local.layer_names[name]] }
}

output "queue_urls" {
  description = "Processor queue URL by processor (image, document, data)."
  value       = { for role, q in aws_sqs_queue.this : role => q.url }
}

output "queue_arns" {
  description = "Processor queue ARN by processor."
  value       = { for role, q in aws_sqs_queue.this : role => q.arn }
}

output "dlq_urls" {
  description = "Dead-letter queue URL by processor."
  value       = { for role, q in aws_sqs_queue.dlq : role => q.url }
}

output "dlq_arns" {
  description = "Dead-letter queue ARN by processor."
  value       = { for role, q in aws_sqs_queue.dlq : role => q.arn }
}

output "routes" {
  description = "The bucket notification's routing: suffix -> processor (lower and upper case)."
  value       = { for r in local.routes : r.suffix => r.role }
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic every alarm of the stack notifies (known at plan time; available once the topic and its policy exist)."
  value       = local.alarm_topic_arn
  depends_on  = [aws_sns_topic_policy.alarms]
}

output "max_upload_bytes" {
  description = "Largest upload the api function accepts per category (processing.max_*_bytes), for clients that check before sending (modules/console)."
  value = {
    image    = var.processing.max_image_bytes
    document = var.processing.max_document_bytes
    data     = var.processing.max_data_bytes
  }
}
