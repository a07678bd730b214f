# CORS for browsers: preflight (OPTIONS) is answered by API Gateway itself
# (MOCK, no API key, no invocation); the api function adds the headers to its
# own answers (ALLOWED_ORIGINS); the gateway responses (errors.tf) add them to
# the errors API Gateway answers without the function (bad key, throttling, 5xx).

locals {
  any_origin    = contains(var.cors_allowed_origins, "*")
  allow_headers = "Content-Type,X-Api-Key,Authorization,X-Amz-Date,X-Amz-Security-Token"
  cors_methods = {
    files    = "GET,POST,OPTIONS"
    file     = "GET,OPTIONS"
    download = "GET,OPTIONS"
  }

  # With a list of origins the answer must name the caller's origin, and only
  # if it is in the list: the template compares and overrides the header.
  preflight_origin_template = <<-EOT
    #set($origin = $input.params().header.get("Origin"))
    #if(!$origin)#set($origin = $input.params().header.get("origin"))#end
    #if(${jsonencode(var.cors_allowed_origins)}.contains($origin))
    #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)
    #end
  EOT

  # Browsers never send credentials or custom headers on a preflight: no API
  # key, answered by a MOCK integration.
  preflight = {
    http_method       = "OPTIONS"
    authorization     = "NONE"
    api_key_required  = false
    integration_type  = "MOCK"
    request_templates = { "application/json" = jsonencode({ statusCode = 200 }) }
    status_code       = "200"
  }

  # Headers of every preflight answer; Access-Control-Allow-Methods is per path,
  # and with a list of origins the template sets Access-Control-Allow-Origin.
  preflight_headers = merge(
    {
      "Access-Control-Allow-Headers" = "'${local.allow_headers}'"
      "Access-Control-Max-Age"       = "'600'"
      "Vary"                         = "'Origin'"
    },
    local.any_origin ? { "Access-Control-Allow-Origin" = "'*'" } : {},
  )
  preflight_header_names = toset(concat(
    keys(local.preflight_headers),
    ["Access-Control-Allow-Methods", "Access-Control-Allow-Origin"],
  ))
}

resource "aws_api_gateway_method" "options" {
  #checkov:skip=CKV2_AWS_53:CORS preflight answered by a MOCK integration: there is no input to validate
  for_each = local.cors_methods

  rest_api_id      = aws_api_gateway_rest_api.this.id
  resource_id      = local.resource_ids[each.key]
  http_method      = local.preflight.http_method
  authorization    = local.preflight.authorization
  api_key_required = local.preflight.api_key_required
}

resource "aws_api_gateway_integration" "options" {
  for_each = local.cors_methods

  rest_api_id       = aws_api_gateway_rest_api.this.id
  resource_id       = aws_api_gateway_method.options[each.key].resource_id
  http_method       = aws_api_gateway_method.options[each.key].http_method
  type              = local.preflight.integration_type
  request_templates = local.preflight.request_templates
}

resource "aws_api_gateway_method_response" "options" {
  for_each = local.cors_methods

  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = aws_api_gateway_method.options[each.key].resource_id
  http_method = aws_api_gateway_method.options[each.key].http_method
  status_code = local.preflight.status_code

  response_parameters = {
    for name in local.preflight_header_names : "method.response.header.${name}" => true
  }
}

resource "aws_api_gateway_integration_response" "options" {
  for_each = local.cors_methods

  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = aws_api_gateway_method.options[each.key].resource_id
  http_method = aws_api_gateway_method.options[each.key].http_method
  status_code = aws_api_gateway_method_response.options[each.key].status_code

  response_parameters = merge(
    { for name, value in local.preflight_headers : "method.response.header.${name}" => value },
    { "method.response.header.Access-Control-Allow-Methods" = "'${each.value}'" },
  )
  response_templates = local.any_origin ? {} : { "application/json" = local.preflight_origin_template }

  depends_on = [aws_api_gateway_integration.options]
}
