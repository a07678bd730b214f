# Partial S3 backend configuration of prod:
#   terraform init -backend-config=envs/prod.backend.hcl
# The bucket name is a placeholder: create a versioned, encrypted state bucket
# in the prod account (or a central one) and put its name here.
bucket       = "CHANGE-ME-fileproc-terraform-state"
key          = "fileproc/prod/terraform.tfstate"
region       = "us-east-1"
encrypt      = true
use_lockfile = true # S3 native locking (Terraform >= 1.10), no DynamoDB lock table
