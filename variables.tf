# Root inputs. Settings that belong to one module keep their defaults and range
# checks in that module (see its README); here their attributes are optional
# and null means "the module's default".

# --- identity, naming, tags --------------------------------------------------

variable "project" {
  description = "Project name: first part of every name (`<project>-<environment>-<role>`) and the Project tag."
  type        = string
  default     = "fileproc"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.project))
    error_message = "project must be 2..32 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (it goes into bucket, role and function names and into tags)."
  }
}

variable "environment" {
  description = "Environment name (dev, staging, prod, sandbox...): second part of every name and the Environment tag. \"prod\" turns on the production rules unless `production` says otherwise."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.environment))
    error_message = "environment must be 2..32 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (e.g. \"dev\", \"staging-2\"); no capitals, underscores, dots or spaces, which bucket names and tags reject."
  }

  # <project>-<environment> may have at most 42 characters together, for the
  # bucket and backup vault names: modules/storage checks it (a validation here
  # that refers to project would skip this one whenever project is invalid).
}

variable "production" {
  description = "Apply the production rules: force_destroy refused, deletion protection required. null (the default): true when environment is \"prod\"; set it for a production environment named otherwise (\"production\", \"prod-eu\"), or false to opt out explicitly."
  type        = bool
  default     = null
}

variable "owner" {
  description = "Team or person answerable for the stack: the Owner tag."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[\\p{L}\\p{N}\\p{Zs}_.:/=+@-]{1,256}$", var.owner))
    error_message = "owner must be 1..256 characters that AWS allows in a tag value: letters, digits, spaces and _ . : / = + - @."
  }
}

variable "tags" {
  description = "Extra tags for every taggable resource (cost centre, data classification...). Environment, Project and Owner are always set from their variables."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.tags) : !contains(["environment", "project", "owner"], lower(k))])
    error_message = "tags must not set Environment, Project or Owner: they come from the environment, project and owner variables."
  }

  validation {
    condition = alltrue([
      for k, v in var.tags :
      can(regex("^[\\p{L}\\p{N}\\p{Zs}_.:/=+@-]{1,128}$", k)) && !startswith(lower(k), "aws:") &&
      can(regex("^[\\p{L}\\p{N}\\p{Zs}_.:/=+@-]{0,256}$", v))
    ])
    error_message = "tags: keys must be 1..128 and values 0..256 characters among letters, digits, spaces and _ . : / = + - @, and keys must not start with \"aws:\"."
  }
}

# --- where ---------------------------------------------------------------------

variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "us-east-1"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as \"us-east-1\"."
  }
}

variable "aws_account_id" {
  description = "The AWS account the environment lives in. The provider refuses other accounts' credentials, and the ARNs in every policy are built from it (so they are exact and known at plan time)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "aws_account_id must be the 12-digit AWS account id (e.g. \"123456789012\")."
  }
}

variable "aws_endpoint_url" {
  description = "Sandbox only: one endpoint (e.g. \"http://127.0.0.1:4566\") for every AWS service the stack uses, with path-style S3. null: real AWS."
  type        = string
  default     = null

  validation {
    condition     = var.aws_endpoint_url == null || can(regex("^https?://[^/\\s]+/?$", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be an http(s) URL without a path, e.g. \"http://127.0.0.1:4566\", or null for real AWS."
  }
}

# --- functions -------------------------------------------------------------------

variable "function_zip_path" {
  description = "Function package; null: build/function.zip (made by `make build`)."
  type        = string
  default     = null
}

variable "layer_zip_paths" {
  description = "Layer zips by name (common, and image, document, data, api for that function only); null: build/layer-<name>-<lambda_runtime>-<lambda_architecture>.zip for the layers `make build` makes."
  type        = map(string)
  default     = null
}

variable "lambda_runtime" {
  description = "Python runtime of the functions and the layers: python3.12 or python3.13 (checked in modules/compute)."
  type        = string
  default     = "python3.12"
  nullable    = false
}

variable "lambda_architecture" {
  description = "arm64 (Graviton) or x86_64, for the functions and the layers (checked in modules/compute)."
  type        = string
  default     = "arm64"
  nullable    = false
}

variable "functions" {
  description = "Per-function settings (memory_mb, timeout_seconds, reserved_concurrency; processors also batch_size, batching_window_seconds, max_concurrency). Defaults and allowed ranges: modules/compute/README.md."
  type = object({
    image = optional(object({
      memory_mb               = optional(number)
      timeout_seconds         = optional(number)
      reserved_concurrency    = optional(number)
      batch_size              = optional(number)
      batching_window_seconds = optional(number)
      max_concurrency         = optional(number)
    }), {})
    document = optional(object({
      memory_mb               = optional(number)
      timeout_seconds         = optional(number)
      reserved_concurrency    = optional(number)
      batch_size              = optional(number)
      batching_window_seconds = optional(number)
      max_concurrency         = optional(number)
    }), {})
    data = optional(object({
      memory_mb               = optional(number)
      timeout_seconds         = optional(number)
      reserved_concurrency    = optional(number)
      batch_size              = optional(number)
      batching_window_seconds = optional(number)
      max_concurrency         = optional(number)
    }), {})
    api = optional(object({
      memory_mb            = optional(number)
      timeout_seconds      = optional(number)
      reserved_concurrency = optional(number)
    }), {})
  })
  default  = {}
  nullable = false
}

variable "processing" {
  description = "Processing limits (max_image_bytes, max_document_bytes, max_data_bytes, thumbnail_max_px, image_max_pixels, image_decode_budget_mb, exif_include_gps, text_max_pages, text_max_chars, preview_chars). Defaults: modules/compute/README.md."
  type = object({
    max_image_bytes        = optional(number)
    max_document_bytes     = optional(number)
    max_data_bytes         = optional(number)
    thumbnail_max_px       = optional(number)
    image_max_pixels       = optional(number)
    image_decode_budget_mb = optional(number)
    exif_include_gps       = optional(bool)
    text_max_pages         = optional(number)
    text_max_chars         = optional(number)
    preview_chars          = optional(number)
  })
  default  = {}
  nullable = false
}

variable "bedrock" {
  description = "Optional AI summary of documents: enabled (default false), model_id, max_input_chars."
  type = object({
    enabled         = optional(bool)
    model_id        = optional(string)
    max_input_chars = optional(number)
  })
  default  = {}
  nullable = false
}

variable "presigned_url_ttl_seconds" {
  description = "Lifetime of the API's presigned links, upload and download (default 900 each, at most 3600)."
  type = object({
    upload   = optional(number)
    download = optional(number)
  })
  default  = {}
  nullable = false
}

variable "vpc_config" {
  description = "Put the functions in a VPC: subnet_ids and security_group_ids from the network owner, who also provides the VPC endpoints (modules/compute/README.md). null: no VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "log_retention_days" {
  description = "Retention of every log group of the stack (functions, API access and execution logs), in days."
  type        = number
  default     = 7
  nullable    = false
}

variable "log_level" {
  description = "Application log level of the functions."
  type        = string
  default     = "INFO"
  nullable    = false
}

variable "max_receive_count" {
  description = "Receives of a message before it moves to its processor's DLQ."
  type        = number
  default     = 5
  nullable    = false
}

# --- storage -----------------------------------------------------------------------

# No default: a default of ["*"] let any web page call the API and upload to
# the bucket from a browser (with a key) without anyone having decided so.
variable "cors_allowed_origins" {
  description = "Browser origins allowed by the API and the bucket (uploads through presigned POST), e.g. [\"https://app.example.com\"]; [\"*\"] for any, said explicitly. The first origin is the one API Gateway's own error answers name."
  type        = list(string)
  nullable    = false

  validation {
    condition = length(var.cors_allowed_origins) > 0 && (
      (length(var.cors_allowed_origins) == 1 && var.cors_allowed_origins[0] == "*") ||
      alltrue([for o in var.cors_allowed_origins : can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$", o))])
    )
    error_message = "cors_allowed_origins must be [\"*\"] alone, or origins like \"https://app.example.com\" or \"http://localhost:3000\" (scheme, host, optional port; no path or trailing slash)."
  }
}

variable "use_customer_managed_key" {
  description = "Create a customer managed KMS key (rotated yearly) for the bucket, table, queues, log groups, function environments and alarm topic. false: SSE-S3 and AWS owned or managed keys."
  type        = bool
  default     = false
  nullable    = false
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket with its objects and the backup vault with its recovery points. Not allowed in production."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = !(coalesce(var.production, var.environment == "prod") && var.force_destroy)
    error_message = "force_destroy must be false in production (environment \"prod\" or production = true): destroying the stack must never delete the uploaded files."
  }
}

variable "deletion_protection" {
  description = "DynamoDB deletion protection of the files table. Required in production."
  type        = bool
  default     = true
  nullable    = false

  validation {
    condition     = !coalesce(var.production, var.environment == "prod") || var.deletion_protection
    error_message = "deletion_protection must be true in production (environment \"prod\" or production = true)."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which overwritten or deleted object versions are removed."
  type        = number
  default     = 30
  nullable    = false
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which unfinished multipart uploads are aborted."
  type        = number
  default     = 7
  nullable    = false
}

variable "backup" {
  description = "AWS Backup plan for the table: enabled (default false), schedule (default daily 03:00 UTC), retention_days (default 35)."
  type = object({
    enabled        = optional(bool)
    schedule       = optional(string)
    retention_days = optional(number)
  })
  default  = {}
  nullable = false
}

# --- API -------------------------------------------------------------------------

variable "api" {
  description = "API settings: stage_name (v1), throttle_rate_limit (100/s) and throttle_burst_limit (200) per key, quota ({limit, period}, none), logging_level (ERROR or INFO; ERROR), manage_account_logging_role (true), external_api_key_id (null: a key is created, its value in the state), error_rate_alarm_threshold (0.05), latency_alarm_threshold_ms (3000). See modules/api/README.md."
  type = object({
    stage_name           = optional(string)
    throttle_rate_limit  = optional(number)
    throttle_burst_limit = optional(number)
    quota = optional(object({
      limit  = number
      period = optional(string)
    }))
    logging_level               = optional(string)
    manage_account_logging_role = optional(bool)
    external_api_key_id         = optional(string)
    error_rate_alarm_threshold  = optional(number)
    latency_alarm_threshold_ms  = optional(number)
  })
  default  = {}
  nullable = false
}

# --- alarms ------------------------------------------------------------------------

variable "alarm_email" {
  description = "Email address subscribed to the alarm topic; null for none."
  type        = string
  default     = null
}

variable "queue_age_alarm_seconds" {
  description = "Alarm when a processor queue's oldest message is older than this."
  type        = number
  default     = 1800
  nullable    = false
}

# --- web console -------------------------------------------------------------------

variable "console" {
  description = "The web console served by the API at <api_url>/<path> (modules/console): enabled (default true), path (default \"console\"), zip_path (null: build/console.zip, made by `make build`)."
  type = object({
    enabled  = optional(bool, true)
    path     = optional(string)
    zip_path = optional(string)
  })
  default  = {}
  nullable = false
}
