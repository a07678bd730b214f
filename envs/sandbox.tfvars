# sandbox: the local AWS emulator (moto) on loopback; `make deploy ENV=sandbox`
# adds -var=aws_endpoint_url=http://127.0.0.1:$SANDBOX_PORT. Same modules as
# every other environment: only these values and the endpoint differ.
environment    = "sandbox"
owner          = "local-developer"
aws_account_id = "123456789012" # moto's default account
region         = "us-east-1"

# This machine runs the functions itself (x86_64, Python 3.12).
lambda_architecture = "x86_64"
lambda_runtime      = "python3.12"

cors_allowed_origins = ["*"]

force_destroy       = true
deletion_protection = false

# Backups as in prod, so the sandbox exercises the same resources (the
# sandbox implements the AWS Backup selections moto lacks; no backup job runs).
backup = {
  enabled        = true
  retention_days = 35
}

# Short timeouts: a failed message comes back after 6 x timeout + window, so
# retries and the DLQ are reached within minutes.
functions = {
  image    = { timeout_seconds = 30, batching_window_seconds = 0 }
  document = { timeout_seconds = 30, batching_window_seconds = 0 }
  data     = { timeout_seconds = 30, batching_window_seconds = 0 }
}

max_receive_count = 3
log_level         = "DEBUG"
