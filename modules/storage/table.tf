locals {
  # One index per listing of the API, named as in docs/contracts.md (the
  # functions' INDEX_* variables). Every index sorts by uploaded_at (ISO-8601,
  # so a descending Query is newest first) and projects the whole item because
  # the API lists whole records (a narrower projection would cost a BatchGetItem
  # per page: BENCHMARKS.md, "Listing: the write ceiling").
  index_names = {
    all             = "all-uploaded-index"
    status          = "status-uploaded-index"
    category        = "category-uploaded-index"
    category_status = "category-status-uploaded-index"
  }
  # The record's TTL attribute, as docs/contracts.md names it.
  expiry_attribute = "expires_at"

  # Write sharding (lambda_src/fileproc/listing.py): each partition key is
  # "<listing value>#<shard>", the shard a hash of file_id modulo 48, so one
  # listing's writes spread over 48 partitions of about 1,000 write units a
  # second each instead of one.
  index_partition_keys = {
    all             = "list_all"             # "file#07"
    status          = "list_status"          # "PROCESSED#07"
    category        = "list_category"        # "image#07"
    category_status = "list_category_status" # "image#PROCESSED#07"
  }
}

# hash_key/range_key (of the table and of each index) are deprecated by later
# hashicorp/aws 6.x releases, whose replacement 5.100 does not have: they stay
# (a deprecation warning under those releases, no change in behaviour) until
# the supported range no longer includes 5.x.
resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:The customer managed key is optional (customer_managed_key, on in prod); without it DynamoDB encrypts with an AWS owned key
  name                        = "${var.name_prefix}-files"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "file_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "file_id"
    type = "S"
  }

  attribute {
    name = "uploaded_at"
    type = "S"
  }

  dynamic "attribute" {
    for_each = toset(values(local.index_partition_keys))
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "global_secondary_index" {
    for_each = local.index_names
    content {
      name            = global_secondary_index.value
      hash_key        = local.index_partition_keys[global_secondary_index.key]
      range_key       = "uploaded_at"
      projection_type = "ALL"
    }
  }

  # The api function sets expires_at (epoch seconds: the upload link's
  # lifetime plus a margin) on a PENDING record, and a processor removes it
  # when the file arrives, so a record whose upload never came is deleted by
  # DynamoDB (at no cost, within a few days of that time, so readers that
  # must not see it compare expires_at themselves).
  ttl {
    attribute_name = local.expiry_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  # Without a customer key DynamoDB still encrypts at rest, with an AWS owned key.
  server_side_encryption {
    enabled     = var.customer_managed_key
    kms_key_arn = local.kms_key_arn
  }
}
