# dev: a developer's playground. Cheap, disposable, verbose.
# aws_account_id is a placeholder: put the id of your dev account here.
environment    = "dev"
owner          = "platform-team"
aws_account_id = "111111111111"
region         = "us-east-1"

cors_allowed_origins = ["http://localhost:3000", "https://dev.app.example.com"]

# Disposable: destroy removes the bucket with its objects, the table with its items.
force_destroy       = true
deletion_protection = false

log_level = "DEBUG"

api = {
  logging_level = "INFO"
}

tags = {
  CostCenter = "fileproc-dev"
}
