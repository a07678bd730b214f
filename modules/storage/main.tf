data "aws_partition" "current" {}

locals {
  # The account id makes the name globally unique without a random suffix, so
  # every ARN that mentions the bucket is known at plan time (and checkable).
  bucket_name = "${var.name_prefix}-uploads-${var.account_id}"
  bucket_arn  = "arn:${data.aws_partition.current.partition}:s3:::${local.bucket_name}"
  kms_key_arn = one(aws_kms_key.this[*].arn)
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:No server access logging: it needs a second bucket; uploads are authorised by the API (access logs, records) and CloudTrail data events are the account's choice
  #checkov:skip=CKV_AWS_144:No cross-region replication: a single-region stack; overwritten and deleted objects stay recoverable as noncurrent versions
  #checkov:skip=CKV_AWS_145:SSE-S3 by default, SSE-KMS with the customer key when customer_managed_key is on (prod)
  #checkov:skip=CKV2_AWS_62:The bucket's event notification is in modules/compute (aws_s3_bucket_notification.uploads), where the queues are
  bucket        = local.bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.customer_managed_key ? "aws:kms" : "AES256"
      kms_master_key_id = local.kms_key_arn
    }
    # Bucket keys cut the KMS requests (and their cost) per object; no effect on SSE-S3.
    bucket_key_enabled = var.customer_managed_key
  }
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json

  # S3 rejects a policy while the public access block is being changed.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    # Once its noncurrent versions are gone, a deleted key leaves a lone delete
    # marker behind; remove it too.
    expiration {
      expired_object_delete_marker = true
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  # Noncurrent-version rules only make sense on a versioned bucket.
  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_cors_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  # Browsers upload with the presigned POST from `POST /files` and may fetch the
  # presigned GET from `/files/{id}/download`.
  cors_rule {
    allowed_methods = ["POST", "GET", "HEAD"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag", "x-amz-version-id"]
    max_age_seconds = 3000
  }

  # The console's origin is the API's, known only after apply: a rule of its
  # own keeps the configured origins' rule known at plan time.
  dynamic "cors_rule" {
    for_each = length(var.console_origins) > 0 ? [var.console_origins] : []
    content {
      allowed_methods = ["POST", "GET", "HEAD"]
      allowed_origins = cors_rule.value
      allowed_headers = ["*"]
      expose_headers  = ["ETag", "x-amz-version-id"]
      max_age_seconds = 3000
    }
  }
}
