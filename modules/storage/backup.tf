# Scheduled backups of the table (seed recommendation 8), on top of
# point-in-time recovery: PITR covers 35 days of "undo", the plan keeps copies
# for the retention the environment chooses, in a vault of their own.

locals {
  backup_count = var.backup.enabled ? 1 : 0
}

resource "aws_backup_vault" "this" {
  count = local.backup_count

  name = "${var.name_prefix}-backups"
  # null: AWS Backup's default key for the vault.
  kms_key_arn   = local.kms_key_arn
  force_destroy = var.force_destroy
}

resource "aws_backup_plan" "this" {
  count = local.backup_count

  name = "${var.name_prefix}-files"

  rule {
    rule_name         = "scheduled"
    target_vault_name = aws_backup_vault.this[0].name
    schedule          = var.backup.schedule

    lifecycle {
      delete_after = var.backup.retention_days
    }
  }
}

data "aws_iam_policy_document" "backup_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["backup.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "backup" {
  count = local.backup_count

  name               = "${var.name_prefix}-backup"
  assume_role_policy = data.aws_iam_policy_document.backup_assume.json
}

# AWS Backup's own managed policy: the set of calls it makes for a DynamoDB
# backup is AWS's to define and change, so it is not copied here.
resource "aws_iam_role_policy_attachment" "backup" {
  count = local.backup_count

  role       = aws_iam_role.backup[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
}

resource "aws_backup_selection" "this" {
  count = local.backup_count

  name         = "${var.name_prefix}-files"
  plan_id      = aws_backup_plan.this[0].id
  iam_role_arn = aws_iam_role.backup[0].arn
  resources    = [aws_dynamodb_table.this.arn]
}
