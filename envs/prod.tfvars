# prod. Placeholders to edit: aws_account_id, cors_allowed_origins, alarm_email.
environment    = "prod"
owner          = "platform-team"
aws_account_id = "333333333333"
region         = "us-east-1"

cors_allowed_origins = ["https://app.example.com"]

# Production rules (the root module refuses prod without them).
force_destroy       = false
deletion_protection = true

use_customer_managed_key = true
log_retention_days       = 90

backup = {
  enabled        = true
  retention_days = 35
}

# Reserved concurrency keeps the processors from starving the api function
# (and the account) under a burst of uploads; max_concurrency does not exceed it (here: equal).
functions = {
  image    = { reserved_concurrency = 20, max_concurrency = 20 }
  document = { reserved_concurrency = 10, max_concurrency = 10 }
  data     = { reserved_concurrency = 10, max_concurrency = 10 }
  api      = { memory_mb = 512, reserved_concurrency = 50 }
}

api = {
  quota = {
    limit  = 1000000
    period = "MONTH"
  }
}

# AWS mails a confirmation link to this address before it delivers alarms.
alarm_email = "fileproc-oncall@example.com"

tags = {
  CostCenter = "fileproc-prod"
}
