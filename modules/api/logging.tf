locals {
  logs_arn = "arn:${local.partition}:logs:${local.region}:${var.account_id}:log-group"
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name_prefix}-api/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn
}

# API Gateway would create this group itself, kept forever; created here it
# gets the retention and the key.
resource "aws_cloudwatch_log_group" "execution" {
  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn
}

data "aws_iam_policy_document" "logging_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

# The account setting serves every REST API of the account in this region, so
# the role may write any log group of this account and region (as AWS's
# AmazonAPIGatewayPushToCloudWatchLogs does everywhere), not just this stack's.
data "aws_iam_policy_document" "logging" {
  statement {
    sid = "WriteApiGatewayLogs"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
    ]
    resources = ["${local.logs_arn}:*"]
  }
}

resource "aws_iam_role" "logging" {
  count = var.manage_account_logging_role ? 1 : 0

  name               = "${var.name_prefix}-apigateway-logs"
  description        = "Lets API Gateway write execution and access logs in ${local.region}"
  assume_role_policy = data.aws_iam_policy_document.logging_assume.json
}

resource "aws_iam_role_policy" "logging" {
  count = var.manage_account_logging_role ? 1 : 0

  name   = "${var.name_prefix}-apigateway-logs"
  role   = aws_iam_role.logging[0].id
  policy = data.aws_iam_policy_document.logging.json
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_account_logging_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.logging[0].arn

  depends_on = [aws_iam_role_policy.logging]
}
