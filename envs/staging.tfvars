# staging: production's settings at a smaller scale, to rehearse releases.
# aws_account_id is a placeholder: put the id of your staging account here.
environment    = "staging"
owner          = "platform-team"
aws_account_id = "222222222222"
region         = "us-east-1"

cors_allowed_origins = ["https://staging.app.example.com"]

force_destroy       = false
deletion_protection = true
log_retention_days  = 14

backup = {
  enabled        = true
  retention_days = 7
}

api = {
  quota = {
    limit  = 100000
    period = "MONTH"
  }
}

tags = {
  CostCenter = "fileproc-staging"
}
