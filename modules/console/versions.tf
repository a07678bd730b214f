terraform {
  # 1.9: validations that refer to other variables.
  required_version = ">= 1.9"

  required_providers {
    # 5.100 (the last 5.x) through 6.x, as the other modules (README:
    # "Provider versions").
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}
