variable "name_prefix" {
  description = "Prefix of every name, `<project>-<environment>` (e.g. `fileproc-dev`)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen."
  }

  # The two names with the least room: the bucket, <name_prefix>-uploads-<account
  # id>, at most 63 characters (S3), and the backup vault, <name_prefix>-backups,
  # at most 50 (AWS Backup). Both leave 42 for the prefix.
  validation {
    condition     = length(var.name_prefix) <= 42
    error_message = "name_prefix (the root's \"<project>-<environment>\") has ${length(var.name_prefix)} characters and may have at most 42, so that the bucket name <name_prefix>-uploads-<account id> stays within S3's 63 and the backup vault <name_prefix>-backups within AWS Backup's 50. Shorten the project or the environment name."
  }
}

variable "account_id" {
  description = "AWS account id the stack is deployed to: part of the bucket name and of the ARNs in the key and bucket policies."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be the 12-digit AWS account id."
  }
}

# A variable, not data.aws_region: hashicorp/aws 6 deprecates its `name`, and
# 5.100 has no `region` attribute to replace it with.
variable "region" {
  description = "AWS region of this module's provider (the root passes its `region`), for the exact ARNs in its policies."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as \"us-east-1\", the region of the module's provider."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket with its objects (and the backup vault with its recovery points). Never in prod."
  type        = bool
  default     = false
  nullable    = false
}

variable "deletion_protection" {
  description = "DynamoDB deletion protection on the files table."
  type        = bool
  default     = true
  nullable    = false
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which a noncurrent (overwritten or deleted) object version is removed."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which an unfinished multipart upload is aborted and its parts deleted."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number of days, at least 1."
  }
}

variable "cors_allowed_origins" {
  description = "Origins allowed to upload (presigned POST) and download from the bucket in a browser; [\"*\"] for any."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.cors_allowed_origins) > 0
    error_message = "cors_allowed_origins needs at least one origin (or [\"*\"])."
  }
}

variable "customer_managed_key" {
  description = "Create a customer managed KMS key (with rotation) for the bucket, the table, and, through the kms_key_arn output, the queues, logs and alarm topic. false: SSE-S3 and AWS owned keys."
  type        = bool
  default     = false
  nullable    = false
}

variable "backup" {
  description = "AWS Backup plan for the table (point-in-time recovery is always on): a schedule (cron in UTC) and a retention in days."
  type = object({
    enabled        = optional(bool, false)
    schedule       = optional(string, "cron(0 3 * * ? *)")
    retention_days = optional(number, 35)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.backup.retention_days >= 1 && floor(var.backup.retention_days) == var.backup.retention_days
    error_message = "backup.retention_days must be a whole number of days, at least 1."
  }

  validation {
    condition     = can(regex("^cron\\(.+\\)$", var.backup.schedule))
    error_message = "backup.schedule must be an AWS cron expression, e.g. \"cron(0 3 * * ? *)\"."
  }
}

variable "console_origins" {
  description = "Origins of the web console (modules/console: the API's own origin), allowed to upload and read through presigned links like cors_allowed_origins; [] for none."
  type        = list(string)
  default     = []
  nullable    = false
}
