terraform {
  # 1.9: validations that refer to other variables.
  required_version = ">= 1.9"

  required_providers {
    # 5.100 (the last 5.x) through 6.x: nothing used here is removed in
    # either, nor deprecated where both have an alternative (README:
    # "Provider versions" says what still differs between the two majors).
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}
