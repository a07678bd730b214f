output "bucket_name" {
  description = "Name of the uploads bucket (known at plan time)."
  value       = aws_s3_bucket.this.bucket
}

output "bucket_arn" {
  description = "ARN of the uploads bucket."
  value       = aws_s3_bucket.this.arn
}

output "table_name" {
  description = "Name of the files table (known at plan time)."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the files table."
  value       = aws_dynamodb_table.this.arn
}

output "table_index_names" {
  description = "The table's global secondary indexes by role (all, status, category, category_status), as the functions' INDEX_* variables expect them."
  value       = local.index_names
}

output "kms_key_arn" {
  description = "ARN of the customer managed key, or null when customer_managed_key is false."
  value       = local.kms_key_arn
}

output "backup_vault_name" {
  description = "Name of the backup vault, or null when backups are off."
  value       = one(aws_backup_vault.this[*].name)
}

output "backup_plan_id" {
  description = "Id of the backup plan, or null when backups are off."
  value       = one(aws_backup_plan.this[*].id)
}
