provider "aws" {
  region = var.region
  # Refuse to run with credentials of another account (a dev tfvars applied
  # with prod credentials, or the reverse).
  allowed_account_ids = [var.aws_account_id]

  # Sandbox only: every service this stack uses at one local endpoint, S3 in
  # path style. null (the default) is real AWS.
  s3_use_path_style = var.aws_endpoint_url != null

  dynamic "endpoints" {
    for_each = var.aws_endpoint_url == null ? [] : [var.aws_endpoint_url]
    content {
      apigateway = endpoints.value
      backup     = endpoints.value
      cloudwatch = endpoints.value
      dynamodb   = endpoints.value
      iam        = endpoints.value
      kms        = endpoints.value
      lambda     = endpoints.value
      logs       = endpoints.value
      s3         = endpoints.value
      sns        = endpoints.value
      sqs        = endpoints.value
      sts        = endpoints.value
      xray       = endpoints.value
    }
  }

  default_tags {
    tags = local.tags
  }
}
