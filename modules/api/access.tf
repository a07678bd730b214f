# Every method needs an API key (header x-api-key); the usage plan throttles
# each key (seed: rate 100, burst 200) and can cap it with a quota.

locals {
  api_key_id = var.external_api_key_id != null ? var.external_api_key_id : aws_api_gateway_api_key.this[0].id
}

# A key created here has its value in the Terraform state (the provider reads it
# back): whoever can read the state can call the API. external_api_key_id
# attaches a key made outside Terraform instead, whose value never enters it.
resource "aws_api_gateway_api_key" "this" {
  count = var.external_api_key_id == null ? 1 : 0

  name    = "${var.name_prefix}-default"
  enabled = true
}

resource "aws_api_gateway_usage_plan" "this" {
  name = "${var.name_prefix}-default"

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = var.throttle.rate_limit
    burst_limit = var.throttle.burst_limit
  }

  dynamic "quota_settings" {
    for_each = var.quota == null ? [] : [var.quota]
    content {
      limit  = quota_settings.value.limit
      period = quota_settings.value.period
    }
  }
}

resource "aws_api_gateway_usage_plan_key" "this" {
  key_id        = local.api_key_id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this.id
}
