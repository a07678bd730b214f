variable "name_prefix" {
  description = "Prefix of every name, `<project>-<environment>` (e.g. `fileproc-dev`)."
  type        = string
  nullable    = false
}

variable "account_id" {
  description = "AWS account id the stack is deployed to, for the exact ARN of the function's log group."
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
  description = "AWS region of this module's provider (the root passes its `region`), for the exact ARN of the function's log group."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as \"us-east-1\", the region of the module's provider."
  }
}

variable "api" {
  description = "The REST API (modules/api outputs) the console's routes are added to: id, root_resource_id, execution_arn."
  type = object({
    id               = string
    root_resource_id = string
    execution_arn    = string
  })
  nullable = false
}

# Apart from var.api: the stage is made after the deployment, which waits for
# this module's routes; only the function's permission refers to it.
variable "stage_name" {
  description = "The API's stage (modules/api stage_name), the only one allowed to invoke the function."
  type        = string
  nullable    = false
}

variable "path_part" {
  description = "First path segment of the console under the stage: the page is at <api_url>/<path_part>, its files at <api_url>/<path_part>/<file>."
  type        = string
  default     = "console"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.path_part)) && var.path_part != "files"
    error_message = "path_part must be 1..31 lowercase letters, digits and hyphens, starting with a letter, and not \"files\" (the API's own path)."
  }
}

variable "zip_path" {
  description = "The console's package (the handler and the static files), made by `make build`: build/console.zip."
  type        = string
  nullable    = false
}

variable "lambda_runtime" {
  description = "Python runtime of the console function: python3.12 or python3.13."
  type        = string
  default     = "python3.12"
  nullable    = false

  validation {
    condition     = contains(["python3.12", "python3.13"], var.lambda_runtime)
    error_message = "lambda_runtime must be python3.12 or python3.13."
  }
}

variable "lambda_architecture" {
  description = "arm64 or x86_64."
  type        = string
  default     = "arm64"
  nullable    = false

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "bucket_name" {
  description = "The uploads bucket: the page sends files to it (presigned POST) and shows thumbnails from it, so its origin is in the Content-Security-Policy."
  type        = string
  nullable    = false
}

variable "max_upload_bytes" {
  description = "Largest upload per category, as the api function enforces them (modules/compute's processing.max_*_bytes): the page refuses bigger files before sending anything."
  type = object({
    image    = number
    document = number
    data     = number
  })
  nullable = false

  validation {
    condition     = alltrue([for v in values(var.max_upload_bytes) : v >= 1 && floor(v) == v])
    error_message = "max_upload_bytes values must be whole numbers of at least 1."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group, in days."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "kms_key" {
  description = "Customer managed key for the log group and the function's environment ({arn}); null: AWS owned keys."
  type = object({
    arn = string
  })
  default = null
}
