terraform {
  # 1.9: validations that refer to other variables (the prod rules);
  # 1.10: the S3 backend's use_lockfile (envs/*.backend.hcl).
  required_version = ">= 1.10"

  required_providers {
    # 5.100 (the last 5.x) through 6.x: nothing used here is removed in
    # either, nor deprecated where both have an alternative (README:
    # "Provider versions" says what still differs between the two majors).
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }

  # Partial configuration: `terraform init -backend-config=envs/<env>.backend.hcl`
  # gives the state bucket, key and region of each environment.
  backend "s3" {}
}
