# API Gateway's own errors (bad or missing key, throttling, quota, validation,
# no such route, integration failures) in the api function's shape and code
# style, {"error": {"code", "message"}} with snake_case codes
# (fileproc/api/errors.py), so that clients branch on one format whatever
# answered. They carry the CORS headers too: without them a browser hides the
# error from the page.

locals {
  # message = null keeps API Gateway's own message (it names the missing
  # parameter, for one); a string replaces a message that would mislead here.
  # status_code = null keeps the response type's own status; it must stay null
  # on DEFAULT_4XX/5XX, whose status would otherwise replace every other one's.
  gateway_errors = {
    DEFAULT_4XX = {
      status_code = null
      code        = "invalid_request"
      message     = null
    }
    DEFAULT_5XX = {
      status_code = null
      code        = "internal_error"
      message     = null
    }
    BAD_REQUEST_BODY = {
      status_code = "400"
      code        = "invalid_request"
      message     = null
    }
    BAD_REQUEST_PARAMETERS = {
      status_code = "400"
      code        = "invalid_request"
      message     = null
    }
    # API Gateway says "Forbidden" for a missing key and an unknown one alike.
    INVALID_API_KEY = {
      status_code = "403"
      code        = "forbidden"
      message     = "missing or invalid API key (x-api-key header)"
    }
    # Without IAM authorisation this is API Gateway's answer to an unknown path
    # or method ("Missing Authentication Token", 403): a 404 as the function
    # gives for a route it does not have.
    MISSING_AUTHENTICATION_TOKEN = {
      status_code = "404"
      code        = "not_found"
      message     = "no route for this method and path"
    }
    THROTTLED = {
      status_code = "429"
      code        = "too_many_requests"
      message     = "too many requests for this API key; retry shortly"
    }
    QUOTA_EXCEEDED = {
      status_code = "429"
      code        = "quota_exceeded"
      message     = "this API key's request quota for the period is used up"
    }
    REQUEST_TOO_LARGE = {
      status_code = "413"
      code        = "request_too_large"
      message     = null
    }
    UNSUPPORTED_MEDIA_TYPE = {
      status_code = "415"
      code        = "unsupported_media_type"
      message     = null
    }
    INTEGRATION_TIMEOUT = {
      status_code = "504"
      code        = "gateway_timeout"
      message     = null
    }
  }

  # A gateway response cannot compare origins (no mapping template, only
  # static values and request parameters), so echoing the caller's Origin would
  # answer every site. It names a fixed origin instead: "*" when any is allowed,
  # else the first of cors_allowed_origins (the application's own). A page of
  # another listed origin then sees API Gateway's own errors (bad key,
  # throttling, 5xx) as a failed request without a status; the function's
  # answers, errors included, compare the caller's origin with the whole list.
  gateway_error_headers = {
    "gatewayresponse.header.Access-Control-Allow-Origin"  = local.any_origin ? "'*'" : "'${var.cors_allowed_origins[0]}'"
    "gatewayresponse.header.Access-Control-Allow-Headers" = "'${local.allow_headers}'"
    "gatewayresponse.header.Vary"                         = "'Origin'"
  }

  # Templates of gateway responses are not VTL, only $context substitution:
  # $context.error.messageString is API Gateway's message as a quoted JSON string.
  gateway_error_templates = {
    for type, error in local.gateway_errors : type => format(
      "{\"error\": {\"code\": %s, \"message\": %s}}",
      jsonencode(error.code),
      error.message == null ? "$context.error.messageString" : jsonencode(error.message),
    )
  }
}

resource "aws_api_gateway_gateway_response" "this" {
  for_each = local.gateway_errors

  rest_api_id         = aws_api_gateway_rest_api.this.id
  response_type       = each.key
  status_code         = each.value.status_code
  response_parameters = local.gateway_error_headers
  response_templates  = { "application/json" = local.gateway_error_templates[each.key] }
}
