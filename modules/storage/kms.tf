locals {
  partition = data.aws_partition.current.partition
  region    = var.region
  logs_arn  = "arn:${local.partition}:logs:${local.region}:${var.account_id}:log-group"
}

# In a key policy "Resource" is always "*": it means this key and nothing else.
data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:A key policy: "*" as resource means this key only; the account statement delegates to IAM, which grants each role Decrypt (and GenerateDataKey where it encrypts) on this key
  #checkov:skip=CKV_AWS_111:A key policy: "*" as resource means this key only; the service statements are limited to this stack's function and access log groups plus the account's API Gateway execution log groups in this region, S3 notifications to the encrypted queues (whose policies admit this bucket only) and CloudWatch alarms
  #checkov:skip=CKV_AWS_356:A key policy: "*" is the only resource a key policy can name (the key itself)
  # The account's IAM policies decide who else may use the key (each function
  # role gets Decrypt/GenerateDataKey on this key only). The actions are listed
  # rather than "kms:*" so that no policy of this stack grants a bare wildcard.
  statement {
    sid = "AccountAdministersThroughIam"
    actions = [
      "kms:CancelKeyDeletion",
      "kms:Create*",
      "kms:Decrypt",
      "kms:Delete*",
      "kms:Describe*",
      "kms:Disable*",
      "kms:Enable*",
      "kms:Encrypt",
      "kms:GenerateDataKey*",
      "kms:Get*",
      "kms:List*",
      "kms:Put*",
      "kms:ReEncrypt*",
      "kms:Revoke*",
      "kms:RotateKeyOnDemand",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:Update*",
    ]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${var.account_id}:root"]
    }
  }

  # CloudWatch Logs encrypts this stack's log groups (functions, API access and
  # execution logs) and no other.
  statement {
    sid       = "CloudWatchLogsForThisStack"
    actions   = ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values = [
        "${local.logs_arn}:/aws/lambda/${var.name_prefix}-*",
        "${local.logs_arn}:/aws/apigateway/${var.name_prefix}-*",
        # API Gateway names execution log groups after the API id, which the
        # key cannot know; the account and region still bound it.
        "${local.logs_arn}:API-Gateway-Execution-Logs_*",
      ]
    }
  }

  # S3 sends the bucket's event notifications to the (encrypted) queues. This
  # is AWS's documented statement for S3 notifications to an encrypted SQS
  # queue, without conditions: S3 checks the destination with a test message
  # when the notification configuration is put, and nothing documents that the
  # KMS calls it makes then carry aws:SourceArn/aws:SourceAccount. If they do
  # not, a condition here makes S3 refuse the whole configuration ("Unable to
  # validate the following destination configurations"). The queue policy
  # (modules/compute/queues.tf: this bucket and this account only) is what
  # limits who can send; S3 can use the key for nothing else of this stack.
  statement {
    sid       = "S3NotificationsToEncryptedQueues"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
  }

  # CloudWatch alarms publish to the (encrypted) alarm topic. AWS's documented
  # statement for this has no source condition; the topic policy (this account's
  # alarms only) is what limits who can publish.
  statement {
    sid       = "CloudWatchAlarmsToTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "this" {
  count = var.customer_managed_key ? 1 : 0

  description             = "${var.name_prefix}: uploads bucket, files table, queues, logs and alarms"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "this" {
  count = var.customer_managed_key ? 1 : 0

  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.this[0].key_id
}
