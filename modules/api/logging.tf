locals {
  logs_arn = "arn:${local.partition}:logs:${local.region}:${var.account_id}:log-group"
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (log_retention_days: 7 days by default, 90 in prod), as for the function log groups; a year of access logs is a cost decision per environment
  name              = "/aws/apigateway/${var.name_prefix}-api/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn
}

# API Gateway would create this group itself, kept forever; created here it
# gets the retention and the key.
resource "aws_cloudwatch_log_group" "execution" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (log_retention_days: 7 days by default, 90 in prod), as for the function log groups; a year of execution logs is a cost decision per environment
  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn
}

# Only API Gateway acting for this account may assume the role (the
# confused-deputy guard AWS recommends for service roles).
data "aws_iam_policy_document" "logging_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
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
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
    ]
    resources = ["${local.logs_arn}:*"]
  }

  # DescribeLogGroups has no resource-level permissions: granted on a log-group
  # ARN it allows nothing. AWS's managed policy grants it on "*" too.
  statement {
    sid       = "FindLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["*"]
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

# What `terraform destroy` does to this account setting depends on the
# provider's major version (README: "Provider versions"): hashicorp/aws 5.x
# leaves it pointing at the role destroyed with the stack (its reset_on_delete
# argument is deprecated in 5.100 and removed in 6, so it cannot be set for
# both); 6.x resets it, so API Gateway writes no logs for any API of the account
# and region until a role is set again. Either way, set it again (another
# stack with manage_account_logging_role, or `aws apigateway update-account`)
# when other APIs of the account and region still log.
resource "aws_api_gateway_account" "this" {
  count = var.manage_account_logging_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.logging[0].arn

  depends_on = [aws_iam_role_policy.logging]
}
