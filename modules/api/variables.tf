variable "name_prefix" {
  description = "Prefix of every name, `<project>-<environment>` (e.g. `fileproc-dev`)."
  type        = string
  nullable    = false
}

variable "account_id" {
  description = "AWS account id the stack is deployed to, for the exact ARNs in the logging role's policy."
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

variable "function_name" {
  description = "Name of the api function (modules/compute), given permission to be invoked by this API only."
  type        = string
  nullable    = false
}

variable "function_invoke_arn" {
  description = "Invoke ARN of the api function: the target of every method's Lambda proxy integration."
  type        = string
  nullable    = false
}

variable "stage_name" {
  description = "Name of the stage, the first path segment of the API URL."
  type        = string
  default     = "v1"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name may contain letters, digits, hyphens and underscores only."
  }
}

variable "cors_allowed_origins" {
  description = "Origins answered with CORS headers, on preflight and on API Gateway's own 4xx/5xx; [\"*\"] for any. The api function answers the other requests from the same list (ALLOWED_ORIGINS)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.cors_allowed_origins) > 0
    error_message = "cors_allowed_origins needs at least one origin (or [\"*\"])."
  }
}

variable "external_api_key_id" {
  description = "Id of an API key created outside Terraform (e.g. `aws apigateway create-api-key`) to put in the usage plan instead of creating one here, so that its value never enters the Terraform state. null: a key is created here (its value is in the state)."
  type        = string
  default     = null

  validation {
    condition     = var.external_api_key_id == null || can(regex("^[a-z0-9]{10}$", var.external_api_key_id))
    error_message = "external_api_key_id must be an API Gateway API key id (10 lowercase letters and digits, e.g. \"a1b2c3d4e5\"), not the key's value."
  }
}

variable "throttle" {
  description = "Throttling per API key in the usage plan: steady requests per second and burst."
  type = object({
    rate_limit  = optional(number, 100)
    burst_limit = optional(number, 200)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.throttle.rate_limit > 0 && var.throttle.burst_limit >= 1 && floor(var.throttle.burst_limit) == var.throttle.burst_limit
    error_message = "throttle.rate_limit must be above 0 and throttle.burst_limit a whole number of at least 1."
  }
}

variable "quota" {
  description = "Optional request quota per API key in the usage plan: a limit per DAY, WEEK or MONTH. null: no quota."
  type = object({
    limit  = number
    period = optional(string, "MONTH")
  })
  default = null

  validation {
    condition     = var.quota == null || try(var.quota.limit >= 1 && contains(["DAY", "WEEK", "MONTH"], var.quota.period), false)
    error_message = "quota.limit must be at least 1 and quota.period one of DAY, WEEK, MONTH."
  }
}

# OFF is refused: execution logs at ERROR are what tells an integration failure
# or a throttled key from a client's mistake, they cost little (one line per
# failed request), and AWS's own control (Security Hub APIGateway.1) asks for
# ERROR or INFO on every stage.
variable "logging_level" {
  description = "Execution logging level of the stage's methods: ERROR or INFO (access logs are always on)."
  type        = string
  default     = "ERROR"
  nullable    = false

  validation {
    condition     = contains(["ERROR", "INFO"], var.logging_level)
    error_message = "logging_level must be ERROR or INFO (OFF is not offered: execution logs at ERROR are how API Gateway's own failures are diagnosed)."
  }
}

variable "manage_account_logging_role" {
  description = "Set the region's API Gateway account setting (the CloudWatch role API Gateway logs with). It is one setting per account and region: leave it true in one stack per account and region, false in the others."
  type        = bool
  default     = true
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention of the access and execution log groups, in days (one of CloudWatch's allowed values)."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch's values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "kms_key" {
  description = "Customer managed key for the log groups; null for CloudWatch's default encryption."
  type = object({
    arn = string
  })
  default = null
}

variable "alarm_topic_arn" {
  description = "SNS topic the API's alarms notify (modules/compute)."
  type        = string
  nullable    = false
}

variable "error_rate_alarm_threshold" {
  description = "Alarm when the share of requests answered 5xx over 5 minutes is above this (0.05 = 5%)."
  type        = number
  default     = 0.05
  nullable    = false

  validation {
    condition     = var.error_rate_alarm_threshold > 0 && var.error_rate_alarm_threshold <= 1
    error_message = "error_rate_alarm_threshold is a fraction: above 0, at most 1."
  }
}

variable "latency_alarm_threshold_ms" {
  description = "Alarm when the 99th percentile of the API's latency is above this, in milliseconds, for two consecutive 5-minute periods."
  type        = number
  default     = 3000
  nullable    = false

  validation {
    condition     = var.latency_alarm_threshold_ms > 0 && var.latency_alarm_threshold_ms <= 29000
    error_message = "latency_alarm_threshold_ms must be above 0 and at most 29000 (API Gateway's integration timeout)."
  }
}

variable "deployment_triggers" {
  description = "Hashes of routes other modules add to this API (e.g. modules/console's deployment_trigger), by name: a change makes a new deployment, and the deployment waits for what they depend on."
  type        = map(string)
  default     = {}
  nullable    = false
}
