# One role per function with only the calls that function makes, each on the
# exact ARNs it makes them on. "*" resources appear only for actions that have
# no resource-level permissions (X-Ray writes, EC2 Describe*), as noted there.

locals {
  # The processors that write artefacts under derived/: image (thumbnail) and
  # document (text). The data processor (CSV/JSON profiles,
  # fileproc.processors.data) returns metadata only, so its role may neither
  # write nor delete derived objects, nor generate data keys.
  artefact_writers = toset(["image", "document"])
  encrypting_roles = setunion(local.artefact_writers, ["api"])

  # A cross-Region inference profile id ("us.anthropic...") needs the profile
  # and its foundation model in every region the profile may route to (a
  # global profile's model ARN has no region at all, which "*" also matches).
  # The prefixes are AWS's system-defined profiles: geographic (us, us-gov, eu,
  # apac, jp, au) and global.
  bedrock_is_profile = can(regex("^(us|us-gov|eu|apac|jp|au|global)\\.", var.bedrock.model_id))
  bedrock_resources = local.bedrock_is_profile ? [
    "arn:${local.partition}:bedrock:${local.region}:${var.account_id}:inference-profile/${var.bedrock.model_id}",
    "arn:${local.partition}:bedrock:*::foundation-model/${join(".", slice(split(".", var.bedrock.model_id), 1, length(split(".", var.bedrock.model_id))))}",
    ] : [
    "arn:${local.partition}:bedrock:${local.region}::foundation-model/${var.bedrock.model_id}",
  ]

  # role -> statements; every statement has a sid, actions and resources.
  statements_common = {
    for role in local.roles : role => concat(
      [
        {
          sid       = "WriteOwnLogs"
          actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          resources = ["${local.log_group_arns[role]}:*"]
        },
        {
          # X-Ray has no resource-level permissions for these two actions.
          sid       = "WriteTraces"
          actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
          resources = ["*"]
        },
      ],
      var.vpc_config == null ? [] : [
        {
          # EC2 Describe* actions have no resource-level permissions.
          sid       = "DescribeNetworkInterfaces"
          actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
          resources = ["*"]
        },
        {
          sid     = "ManageFunctionNetworkInterfaces"
          actions = ["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]
          resources = concat(
            ["arn:${local.partition}:ec2:${local.region}:${var.account_id}:network-interface/*"],
            [for s in var.vpc_config.subnet_ids : "arn:${local.partition}:ec2:${local.region}:${var.account_id}:subnet/${s}"],
            [for g in var.vpc_config.security_group_ids : "arn:${local.partition}:ec2:${local.region}:${var.account_id}:security-group/${g}"],
          )
        },
      ],
    )
  }

  statements_processor = {
    for role in local.processors : role => concat(
      [
        {
          sid       = "ConsumeOwnQueue"
          actions   = ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
          resources = [local.queue_arns[role]]
        },
        {
          # GetObjectVersion: events name the exact version to process.
          sid       = "ReadUploads"
          actions   = ["s3:GetObject", "s3:GetObjectVersion"]
          resources = ["${local.bucket_arn}/${local.upload_prefix}*"]
        },
        {
          # Without ListBucket S3 answers 403 instead of 404 for a key deleted
          # before it was processed, and the record could not say ObjectMissing.
          sid       = "TellMissingObjects"
          actions   = ["s3:ListBucket"]
          resources = [local.bucket_arn]
        },
        {
          # Conditional updates only (fileproc.records): no PutItem, no DeleteItem.
          sid       = "WriteRecords"
          actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
          resources = [local.table_arn]
        },
      ],
      contains(local.artefact_writers, role) ? [
        {
          # DeleteObjectVersion: an attempt overtaken by a newer event removes
          # exactly the artefact versions it wrote (fileproc.s3io).
          sid       = "WriteDerived"
          actions   = ["s3:DeleteObjectVersion", "s3:PutObject"]
          resources = ["${local.bucket_arn}/${local.derived_prefix}*"]
        },
      ] : [],
      role == "document" && var.bedrock.enabled ? [
        {
          sid       = "SummariseWithBedrock"
          actions   = ["bedrock:InvokeModel"]
          resources = local.bedrock_resources
        },
      ] : [],
    )
  }

  statements_api = [
    {
      sid       = "ReadWriteRecords"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
      resources = [local.table_arn]
    },
    {
      # Listings are Queries on the indexes, never a Scan.
      sid       = "ListRecords"
      actions   = ["dynamodb:Query"]
      resources = local.index_arns
    },
    {
      # A presigned POST is signed with this role: the upload is allowed only
      # under the upload prefix.
      sid       = "SignUploads"
      actions   = ["s3:PutObject"]
      resources = ["${local.bucket_arn}/${local.upload_prefix}*"]
    },
    {
      # Presigned GETs of an upload (a given version), and the HeadObject that
      # finds the version of an upload not processed yet.
      sid       = "SignDownloads"
      actions   = ["s3:GetObject", "s3:GetObjectVersion"]
      resources = ["${local.bucket_arn}/${local.upload_prefix}*"]
    },
    {
      # Presigned GETs of a file's derived artefacts (GET
      # /files/{file_id}/download?artefact=thumbnail|text).
      sid       = "SignArtefactDownloads"
      actions   = ["s3:GetObject", "s3:GetObjectVersion"]
      resources = ["${local.bucket_arn}/${local.derived_prefix}*"]
    },
    {
      # So that HeadObject answers 404, not 403, for an upload not made yet.
      sid       = "TellMissingUploads"
      actions   = ["s3:ListBucket"]
      resources = [local.bucket_arn]
    },
  ]

  statements = {
    for role in local.roles : role => concat(
      local.statements_common[role],
      role == "api" ? local.statements_api : local.statements_processor[role],
    )
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.function_names

  name               = each.value
  description        = "Execution role of ${each.value}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "function" {
  for_each = local.statements

  dynamic "statement" {
    for_each = each.value
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.function_names

  name   = "${each.value}-access"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function[each.key].json
}

# With a customer managed key: Decrypt to read the encrypted queue, function
# environment and objects; GenerateDataKey only for the roles that encrypt:
# the artefact writers (their PutObject) and the api function (the uploads
# signed with its presigned POST are encrypted with its permissions). DynamoDB
# and CloudWatch Logs use the key through their own grants and policy.
# Separate from the policy above because the key's ARN is only known after apply.
data "aws_iam_policy_document" "kms" {
  for_each = var.kms_key == null ? {} : local.function_names

  statement {
    sid       = "UseStackKey"
    actions   = contains(local.encrypting_roles, each.key) ? ["kms:Decrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"]
    resources = [local.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "kms" {
  for_each = var.kms_key == null ? {} : local.function_names

  name   = "${each.value}-kms"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.kms[each.key].json
}
