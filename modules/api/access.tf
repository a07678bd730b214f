# Every method needs an API key (header x-api-key); the usage plan throttles
# each key (seed: rate 100, burst 200) and can cap it with a quota.

resource "aws_api_gateway_api_key" "this" {
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
  key_id        = aws_api_gateway_api_key.this.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this.id
}
