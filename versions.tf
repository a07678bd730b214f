terraform {
  # 1.9: validations that refer to other variables (the prod rules);
  # 1.10: the S3 backend's use_lockfile (envs/*.backend.hcl).
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }

  # Partial configuration: `terraform init -backend-config=envs/<env>.backend.hcl`
  # gives the state bucket, key and region of each environment.
  backend "s3" {}
}
