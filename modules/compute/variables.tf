variable "name_prefix" {
  description = "Prefix of every name, `<project>-<environment>` (e.g. `fileproc-dev`)."
  type        = string
  nullable    = false
}

variable "project" {
  description = "Project name: the functions' POWERTOOLS_SERVICE_NAME is `<project>-<role>` and their metrics namespace `<project>`."
  type        = string
  nullable    = false
}

variable "environment" {
  description = "Environment name, given to the functions as ENVIRONMENT (a metrics dimension)."
  type        = string
  nullable    = false
}

variable "account_id" {
  description = "AWS account id the stack is deployed to, for the exact ARNs in the role and queue policies."
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

variable "lambda_runtime" {
  description = "Python runtime of the functions and the layers: python3.12 or python3.13, the runtimes `make build` makes layers for."
  type        = string
  default     = "python3.12"
  nullable    = false

  # The runtimes of tools/fileproc_tools/build.py (RUNTIME_PYTHON), both on
  # Amazon Linux 2023; the plan tests fail when the two differ.
  validation {
    condition     = contains(["python3.12", "python3.13"], var.lambda_runtime)
    error_message = "lambda_runtime must be one of python3.12, python3.13 (got ${jsonencode(var.lambda_runtime)}): make build makes the layers for these only. python3.11 and older run on Amazon Linux 2, whose glibc 2.26 cannot load the layer's manylinux_2_28 wheels."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the functions and the layers: arm64 (Graviton, cheaper per GB-second) or x86_64."
  type        = string
  default     = "arm64"
  nullable    = false

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be one of arm64, x86_64 (got ${jsonencode(var.lambda_architecture)}): Lambda's names, arm64 for Graviton (not aarch64), x86_64 for Intel and AMD (not amd64)."
  }
}

variable "function_zip_path" {
  description = "Path of the function package (the `fileproc` package at the zip root), built by `make build`."
  type        = string
  nullable    = false
}

variable "layer_zip_paths" {
  description = "Layer zips by name, made by `make build` (`python/` with the third-party wheels for lambda_runtime and lambda_architecture): `common` for every function, and `image`, `document`, `data` or `api` for that function only. Each function gets common and the layer of its own name, when there is one."
  type        = map(string)
  nullable    = false

  validation {
    condition     = contains(keys(var.layer_zip_paths), "common") && alltrue([for name in keys(var.layer_zip_paths) : contains(["common", "image", "document", "data", "api"], name)])
    error_message = "layer_zip_paths needs a common layer, and its other keys are function names (image, document, data, api); got ${jsonencode(keys(var.layer_zip_paths))}."
  }
}

variable "functions" {
  description = <<-EOT
    Settings per function. memory_mb: 128..10240 (data: at least 256); timeout_seconds: 1..900 (api: at most 29,
    API Gateway's integration limit); reserved_concurrency: null (unreserved) or at least 1.
    Processors also: batch_size 1..10000 (more than 10 needs a batching window of 1 s or more),
    batching_window_seconds 0..300, max_concurrency 2..1000 (concurrent batches the queue
    may drive; at most reserved_concurrency when that is set).
  EOT
  type = object({
    image = optional(object({
      memory_mb               = optional(number, 1024)
      timeout_seconds         = optional(number, 120)
      reserved_concurrency    = optional(number)
      batch_size              = optional(number, 5)
      batching_window_seconds = optional(number, 1)
      max_concurrency         = optional(number, 10)
    }), {})
    document = optional(object({
      memory_mb               = optional(number, 2048)
      timeout_seconds         = optional(number, 300)
      reserved_concurrency    = optional(number)
      batch_size              = optional(number, 2)
      batching_window_seconds = optional(number, 1)
      max_concurrency         = optional(number, 5)
    }), {})
    # One file per invocation: CSV profiling runs at an estimated 20-30 MB/s
    # at 1024 MB (BENCHMARKS.md's 32-51 MB/s per core, times the 0.58 vCPU of
    # 1024 MB), so one file of max_data_bytes (5 GiB) takes 3 to 5 minutes of
    # the 300 s, and the files batched with it would time out too, each losing
    # a receive towards the DLQ.
    data = optional(object({
      memory_mb               = optional(number, 1024)
      timeout_seconds         = optional(number, 300)
      reserved_concurrency    = optional(number)
      batch_size              = optional(number, 1)
      batching_window_seconds = optional(number, 1)
      max_concurrency         = optional(number, 5)
    }), {})
    api = optional(object({
      memory_mb            = optional(number, 256)
      timeout_seconds      = optional(number, 29)
      reserved_concurrency = optional(number)
    }), {})
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue([
      for f in values(var.functions) : f.memory_mb >= 128 && f.memory_mb <= 10240 && floor(f.memory_mb) == f.memory_mb
    ])
    error_message = "functions.<role>.memory_mb must be a whole number of MB from 128 to 10240 (Lambda's range); got ${jsonencode({ for role, f in var.functions : role => f.memory_mb })}."
  }

  validation {
    condition = alltrue([
      for f in values(var.functions) : f.timeout_seconds >= 1 && f.timeout_seconds <= 900 && floor(f.timeout_seconds) == f.timeout_seconds
    ])
    error_message = "functions.<role>.timeout_seconds must be a whole number from 1 to 900 (15 minutes, Lambda's limit); got ${jsonencode({ for role, f in var.functions : role => f.timeout_seconds })}."
  }

  # DuckDB (Parquet footers, CSV) maps about 70 MB when it starts, in the file's child
  # process, which gets the function's memory less what the function holds and a
  # reserve: under 256 MB a valid Parquet file would end OutOfMemory.
  validation {
    condition     = var.functions.data.memory_mb >= 256
    error_message = "functions.data.memory_mb must be at least 256: the data engine (DuckDB) needs about 70 MB of its own beside the function's ~80 MB, and a smaller data function would fail valid Parquet and CSV files with OutOfMemory; got ${var.functions.data.memory_mb}."
  }

  validation {
    condition     = var.functions.api.timeout_seconds <= 29
    error_message = "functions.api.timeout_seconds must be at most 29: API Gateway ends a REST integration after 29 s, so a longer timeout only hides failures."
  }

  validation {
    condition = alltrue([
      for f in values(var.functions) : f.reserved_concurrency == null || try(f.reserved_concurrency >= 1 && floor(f.reserved_concurrency) == f.reserved_concurrency, false)
    ])
    error_message = "functions.<role>.reserved_concurrency must be null (unreserved) or a whole number of at least 1."
  }

  validation {
    condition = alltrue([
      for f in [var.functions.image, var.functions.document, var.functions.data] :
      f.batch_size >= 1 && f.batch_size <= 10000 && floor(f.batch_size) == f.batch_size && (f.batch_size <= 10 || f.batching_window_seconds >= 1)
    ])
    error_message = "functions.<processor>.batch_size must be 1..10000, and a batch_size above 10 needs batching_window_seconds of at least 1 (SQS rule)."
  }

  validation {
    condition = alltrue([
      for f in [var.functions.image, var.functions.document, var.functions.data] :
      f.batching_window_seconds >= 0 && f.batching_window_seconds <= 300 && floor(f.batching_window_seconds) == f.batching_window_seconds
    ])
    error_message = "functions.<processor>.batching_window_seconds must be a whole number from 0 to 300."
  }

  validation {
    condition = alltrue([
      for f in [var.functions.image, var.functions.document, var.functions.data] :
      f.max_concurrency >= 2 && f.max_concurrency <= 1000 && floor(f.max_concurrency) == f.max_concurrency
    ])
    error_message = "functions.<processor>.max_concurrency must be a whole number from 2 to 1000 (the SQS event source's range)."
  }

  validation {
    condition = alltrue([
      for f in [var.functions.image, var.functions.document, var.functions.data] :
      f.reserved_concurrency == null || try(f.max_concurrency <= f.reserved_concurrency, false)
    ])
    error_message = "functions.<processor>.max_concurrency must not exceed its reserved_concurrency: the queue would drive more batches than the function may run, and throttled batches count as receives towards the DLQ."
  }
}

variable "bucket_name" {
  description = "Name of the uploads bucket (modules/storage)."
  type        = string
  nullable    = false
}

variable "table_name" {
  description = "Name of the files table (modules/storage)."
  type        = string
  nullable    = false
}

variable "table_index_names" {
  description = "The table's index names by role: all, status, category, category_status (modules/storage)."
  type = object({
    all             = string
    status          = string
    category        = string
    category_status = string
  })
  nullable = false
}

variable "kms_key" {
  description = "Customer managed key for the queues, log groups, environment variables and alarm topic (and the bucket, for the roles); null for AWS managed encryption. An object so that whether a key is used is known at plan time, before its ARN."
  type = object({
    arn = string
  })
  default = null
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups, in days (one of CloudWatch's allowed values)."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch's values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_level" {
  description = "Application log level of the functions (Lambda's JSON log format filters below it)."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "max_receive_count" {
  description = "Receives of a message before SQS moves it to the processor's DLQ (also the processors' MAX_RECEIVE_COUNT)."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000 && floor(var.max_receive_count) == var.max_receive_count
    error_message = "max_receive_count must be a whole number from 1 to 1000."
  }
}

variable "processing" {
  description = "Limits the processors and the API apply (the functions' MAX_*, THUMBNAIL_MAX_PX, IMAGE_MAX_PIXELS, IMAGE_DECODE_BUDGET_MB, EXIF_INCLUDE_GPS, TEXT_MAX_*, PREVIEW_CHARS variables)."
  type = object({
    max_image_bytes    = optional(number, 52428800)
    max_document_bytes = optional(number, 104857600)
    max_data_bytes     = optional(number, 5368709120)
    thumbnail_max_px   = optional(number, 256)
    image_max_pixels   = optional(number, 100000000)
    # Memory an image's decode may take (processors/image.py adds it up before decoding):
    # half the image function's default 1024 MB leaves the rest to the runtime.
    image_decode_budget_mb = optional(number, 512)
    exif_include_gps       = optional(bool, false)
    text_max_pages         = optional(number, 500)
    text_max_chars         = optional(number, 1000000)
    preview_chars          = optional(number, 280)
  })
  default  = {}
  nullable = false

  # The same ranges as fileproc.config, so a bad value fails the plan rather
  # than every cold start.
  validation {
    condition = alltrue([
      for v in [var.processing.max_image_bytes, var.processing.max_document_bytes, var.processing.max_data_bytes] :
      v >= 1 && v <= 10995116277760 && floor(v) == v
    ])
    error_message = "processing.max_*_bytes must be whole numbers from 1 to 10 TiB."
  }

  validation {
    condition     = var.processing.thumbnail_max_px >= 16 && var.processing.thumbnail_max_px <= 4096
    error_message = "processing.thumbnail_max_px must be from 16 to 4096."
  }

  validation {
    condition = (
      var.processing.image_max_pixels >= 1 && var.processing.image_max_pixels <= 2000000000 &&
      var.processing.image_decode_budget_mb >= 16 && var.processing.image_decode_budget_mb <= 100000 &&
      var.processing.text_max_pages >= 1 && var.processing.text_max_pages <= 100000 &&
      var.processing.text_max_chars >= 1 && var.processing.text_max_chars <= 100000000 &&
      var.processing.preview_chars >= 0 && var.processing.preview_chars <= 10000
    )
    error_message = "processing: image_max_pixels must be 1..2000000000, image_decode_budget_mb 16..100000, text_max_pages 1..100000, text_max_chars 1..100000000, preview_chars 0..10000."
  }
}

# The default model: Claude Haiku 4.5 through its global cross-Region inference
# profile. Claude 3 Haiku (the previous default) is Legacy on Bedrock, which
# accounts that have not used it recently cannot call; Haiku 4.5 is invoked
# through inference profiles only, and the global one is offered in the
# commercial regions (it may process a request in any of them: set a
# geographic profile, "us."/"eu."/"apac."/"jp."/"au.", to keep documents in
# one geography).
variable "bedrock" {
  description = "Optional AI summary of documents with Amazon Bedrock. When enabled, only the document function may call InvokeModel, on this model (or inference profile and its model) only."
  type = object({
    enabled         = optional(bool, false)
    model_id        = optional(string, "global.anthropic.claude-haiku-4-5-20251001-v1:0")
    max_input_chars = optional(number, 20000)
  })
  default  = {}
  nullable = false

  validation {
    condition     = can(regex("^[a-z0-9-]+\\.[A-Za-z0-9.:_-]+$", var.bedrock.model_id))
    error_message = "bedrock.model_id must be a foundation model id (\"anthropic.claude-haiku-4-5-20251001-v1:0\") or a cross-Region inference profile id (\"us.anthropic.claude-haiku-4-5-20251001-v1:0\"), not an ARN."
  }

  validation {
    condition     = var.bedrock.max_input_chars >= 1 && var.bedrock.max_input_chars <= 1000000
    error_message = "bedrock.max_input_chars must be from 1 to 1000000."
  }
}

variable "presigned_url_ttl_seconds" {
  description = "Lifetime of the API's presigned links: upload (POST) and download (GET), 1..3600 s."
  type = object({
    upload   = optional(number, 900)
    download = optional(number, 900)
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue([
      for v in values(var.presigned_url_ttl_seconds) : v >= 1 && v <= 3600 && floor(v) == v
    ])
    error_message = "presigned_url_ttl_seconds.upload and .download must be whole numbers from 1 to 3600."
  }
}

variable "cors_allowed_origins" {
  description = "Origins the API answers with CORS headers (the functions' ALLOWED_ORIGINS); [\"*\"] for any."
  type        = list(string)
  nullable    = false
}

variable "vpc_config" {
  description = "Put the functions in a VPC (seed recommendation 7): private subnet ids and security group ids. The VPC and its endpoints (S3 and DynamoDB gateway endpoints; SQS, CloudWatch Logs, X-Ray and, with Bedrock, bedrock-runtime interface endpoints) belong to the network owner. null: no VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition     = var.vpc_config == null || try(length(var.vpc_config.subnet_ids) > 0 && length(var.vpc_config.security_group_ids) > 0, false)
    error_message = "vpc_config needs at least one subnet id and one security group id (or null for no VPC)."
  }

  validation {
    condition = var.vpc_config == null || try(alltrue(concat(
      [for s in var.vpc_config.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))],
      [for g in var.vpc_config.security_group_ids : can(regex("^sg-[0-9a-f]+$", g))],
    )), false)
    error_message = "vpc_config.subnet_ids must look like subnet-0abc..., security_group_ids like sg-0abc...."
  }
}

variable "alarm_email" {
  description = "Email address subscribed to the alarm topic (AWS sends a confirmation mail first); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an email address or null."
  }
}

variable "queue_age_alarm_seconds" {
  description = "Alarm when the oldest message of a processor queue is older than this (the pipeline is falling behind)."
  type        = number
  default     = 1800
  nullable    = false

  validation {
    condition     = var.queue_age_alarm_seconds >= 60
    error_message = "queue_age_alarm_seconds must be at least 60."
  }
}
