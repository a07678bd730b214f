"""Least privilege: every policy of the stack, statement by statement."""

from __future__ import annotations

import pytest
from tfplan import Plan, Scenario, Statement, Workspace, statements

pytestmark = pytest.mark.terraform

# Actions AWS grants on "*" only (no resource-level permissions).
STAR_ONLY_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "logs:DescribeLogGroups",
}
ACCOUNTS = {
    "dev": "111111111111",
    "staging": "222222222222",
    "prod": "333333333333",
    "sandbox": "123456789012",
    "variant": "111111111111",
}
POLICY_ATTRIBUTES = {
    "aws_iam_role_policy": "policy",
    "aws_iam_role": "assume_role_policy",
    "aws_s3_bucket_policy": "policy",
    "aws_sqs_queue_policy": "policy",
    "aws_sns_topic_policy": "policy",
    "aws_kms_key": "policy",
}


def _policies(plan: Plan) -> dict[str, tuple[str, list[Statement] | None]]:
    """address -> (resource type, statements, or None when known only after apply)."""
    found: dict[str, tuple[str, list[Statement] | None]] = {}
    for resource_type, attribute in POLICY_ATTRIBUTES.items():
        for resource in plan.of_type(resource_type):
            known = not resource.is_unknown(attribute)
            policy = statements(resource.values[attribute]) if known else None
            found[resource.address] = (resource_type, policy)
    return found


def test_policies_are_known_at_plan_time(all_plans: dict[str, Plan]) -> None:
    for scenario, plan in all_plans.items():
        unknown = {a for a, (_, policy) in _policies(plan).items() if policy is None}
        # Only the grants on the customer key wait for the key's ARN.
        expected = (
            {
                f'module.compute.aws_iam_role_policy.kms["{r}"]'
                for r in ("image", "document", "data", "api")
            }
            # The console's logs-only policy, plus Decrypt on the key.
            | {"module.console[0].aws_iam_role_policy.this"}
            if scenario == "prod"
            else set()
        )
        assert unknown == expected, scenario


def test_no_wildcard_action_is_allowed_anywhere(all_plans: dict[str, Plan]) -> None:
    checked = 0
    for scenario, plan in all_plans.items():
        for address, (resource_type, policy) in _policies(plan).items():
            for statement in policy or []:
                if statement.effect == "Deny":
                    continue  # a broad Deny only narrows (the bucket's TLS rule)
                for action in statement.actions:
                    checked += 1
                    assert action != "*", (scenario, address)
                    assert not action.endswith(":*"), (scenario, address)
                    if resource_type != "aws_kms_key":
                        # Key administration uses AWS's documented prefixes
                        # (kms:Describe*); nothing else has a wildcard at all.
                        assert "*" not in action, (scenario, address, action)
    assert checked > 100


def test_star_resources_only_where_aws_allows_nothing_narrower(
    all_plans: dict[str, Plan],
) -> None:
    for scenario, plan in all_plans.items():
        prefix = "fileproc-dev" if scenario == "variant" else f"fileproc-{scenario}"
        account = ACCOUNTS[scenario]
        for address, (resource_type, policy) in _policies(plan).items():
            for statement in policy or []:
                if resource_type == "aws_kms_key":
                    # In a key policy "*" is the key itself.
                    assert statement.resources == {"*"}, address
                    continue
                if resource_type == "aws_iam_role":
                    assert statement.actions == {"sts:AssumeRole"}, address
                    assert statement.resources == set(), address
                    continue
                for resource in statement.resources:
                    if resource == "*":
                        assert statement.actions <= STAR_ONLY_ACTIONS, (scenario, address)
                        continue
                    assert resource.startswith("arn:aws:"), (address, resource)
                    scoped = (
                        prefix in resource
                        or resource.startswith(f"arn:aws:ec2:{_region(scenario)}:{account}:")
                        or ":foundation-model/anthropic.claude-haiku-4-5" in resource
                        or ":inference-profile/global.anthropic.claude-haiku-4-5" in resource
                        or address == "module.api.aws_iam_role_policy.logging[0]"
                    )
                    assert scoped, (scenario, address, resource)


def _region(scenario: str) -> str:
    return "eu-west-1" if scenario == "variant" else "us-east-1"


def test_resource_policies_admit_only_this_stacks_services(all_plans: dict[str, Plan]) -> None:
    for scenario, plan in all_plans.items():
        account = ACCOUNTS[scenario]
        for address, (resource_type, policy) in _policies(plan).items():
            if resource_type not in {"aws_sqs_queue_policy", "aws_sns_topic_policy"}:
                continue
            for statement in policy or []:
                assert statement.effect == "Allow"
                assert set(statement.principals) == {"Service"}, address
                assert statement.conditions["StringEquals"] == {"aws:SourceAccount": account}


def test_api_gateway_logging_role(dev: Plan) -> None:
    role = dev.one("aws_iam_role", "logging")
    (trust,) = statements(role.values["assume_role_policy"])
    # Only API Gateway acting for this account (confused-deputy guard).
    assert trust.conditions == {"StringEquals": {"aws:SourceAccount": "111111111111"}}
    policy = {
        s.sid: (set(s.actions), set(s.resources))
        for s in statements(dev.one("aws_iam_role_policy", "logging").values["policy"])
    }
    # DescribeLogGroups has no resource-level permissions: on a log-group ARN it
    # would allow nothing, so it is on "*" as in AWS's managed policy.
    assert policy == {
        "WriteApiGatewayLogs": (
            {
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            },
            {"arn:aws:logs:us-east-1:111111111111:log-group:*"},
        ),
        "FindLogGroups": ({"logs:DescribeLogGroups"}, {"*"}),
    }


def test_roles_are_assumed_by_their_service_only(dev: Plan) -> None:
    services = {}
    for role in dev.of_type("aws_iam_role"):
        (statement,) = statements(role.values["assume_role_policy"])
        services[role.values["name"]] = statement.principals
    assert services == {
        **{
            f"fileproc-dev-{r}": {"Service": {"lambda.amazonaws.com"}}
            for r in ("image", "document", "data", "api", "console")
        },
        "fileproc-dev-apigateway-logs": {"Service": {"apigateway.amazonaws.com"}},
    }


# --- each function's role, exactly -------------------------------------------------


def _expected(role: str, region: str, account: str, prefix: str) -> dict[str, tuple]:
    bucket = f"arn:aws:s3:::{prefix}-uploads-{account}"
    table = f"arn:aws:dynamodb:{region}:{account}:table/{prefix}-files"
    logs = f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{prefix}-{role}:*"
    common = {
        "WriteOwnLogs": ({"logs:CreateLogStream", "logs:PutLogEvents"}, {logs}),
        "WriteTraces": ({"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, {"*"}),
    }
    if role == "api":
        indexes = {
            f"{table}/index/{name}"
            for name in (
                "all-uploaded-index",
                "status-uploaded-index",
                "category-uploaded-index",
                "category-status-uploaded-index",
            )
        }
        return {
            **common,
            "ReadWriteRecords": ({"dynamodb:GetItem", "dynamodb:PutItem"}, {table}),
            "ListRecords": ({"dynamodb:Query"}, indexes),
            "SignUploads": ({"s3:PutObject"}, {f"{bucket}/uploads/*"}),
            "SignDownloads": ({"s3:GetObject", "s3:GetObjectVersion"}, {f"{bucket}/uploads/*"}),
            # GET /files/{id}/download?artefact=thumbnail|text
            "SignArtefactDownloads": (
                {"s3:GetObject", "s3:GetObjectVersion"},
                {f"{bucket}/derived/*"},
            ),
            "TellMissingUploads": ({"s3:ListBucket"}, {bucket}),
        }
    queue = f"arn:aws:sqs:{region}:{account}:{prefix}-{role}-queue"
    processor = {
        **common,
        "ConsumeOwnQueue": (
            {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"},
            {queue},
        ),
        "ReadUploads": ({"s3:GetObject", "s3:GetObjectVersion"}, {f"{bucket}/uploads/*"}),
        "TellMissingObjects": ({"s3:ListBucket"}, {bucket}),
        "WriteRecords": ({"dynamodb:GetItem", "dynamodb:UpdateItem"}, {table}),
    }
    if role == "data":
        # CSV and JSON profiles are metadata only: no artefact to write or remove.
        return processor
    return {
        **processor,
        "WriteDerived": ({"s3:PutObject", "s3:DeleteObjectVersion"}, {f"{bucket}/derived/*"}),
    }


def _role_statements(plan: Plan) -> dict[str, dict[str, tuple]]:
    result = {}
    for role, resource in plan.by_index("aws_iam_role_policy", "function").items():
        result[role] = {
            s.sid: (set(s.actions), set(s.resources)) for s in statements(resource.values["policy"])
        }
    return result


@pytest.mark.parametrize("role", ["image", "document", "data", "api"])
def test_function_role_has_exactly_its_permissions(dev: Plan, role: str) -> None:
    assert _role_statements(dev)[role] == _expected(
        role, "us-east-1", "111111111111", "fileproc-dev"
    )


def test_bedrock_only_for_documents_only_on_the_model(variant: Plan) -> None:
    roles = _role_statements(variant)
    # The default: Claude Haiku 4.5's global profile in this region, and its
    # model wherever the profile routes ("*" also matches the global profile's
    # region-less model ARN).
    model = "anthropic.claude-haiku-4-5-20251001-v1:0"
    assert roles["document"]["SummariseWithBedrock"] == (
        {"bedrock:InvokeModel"},
        {
            f"arn:aws:bedrock:eu-west-1:111111111111:inference-profile/global.{model}",
            f"arn:aws:bedrock:*::foundation-model/{model}",
        },
    )
    for role in ("image", "data", "api"):
        assert not any("bedrock" in a for actions, _ in roles[role].values() for a in actions), role


# A geographic profile of one of the newer geographies (Japan): recognised as a
# profile, so the role gets the profile in its region and the model wherever
# the profile routes, not a foundation model of the source region only.
JAPAN_PROFILE = Scenario(
    "envs/dev.tfvars",
    {
        "region": "ap-northeast-1",
        "bedrock": {"enabled": True, "model_id": "jp.anthropic.claude-haiku-4-5-20251001-v1:0"},
    },
)


def test_every_geography_of_inference_profiles_is_recognised(workspace: Workspace) -> None:
    roles = _role_statements(workspace.plan(JAPAN_PROFILE))
    model = "anthropic.claude-haiku-4-5-20251001-v1:0"
    assert roles["document"]["SummariseWithBedrock"] == (
        {"bedrock:InvokeModel"},
        {
            f"arn:aws:bedrock:ap-northeast-1:111111111111:inference-profile/jp.{model}",
            f"arn:aws:bedrock:*::foundation-model/{model}",
        },
    )


def test_no_bedrock_when_it_is_off(all_plans: dict[str, Plan]) -> None:
    for scenario in ("dev", "staging", "prod", "sandbox"):
        for role, sids in _role_statements(all_plans[scenario]).items():
            assert "SummariseWithBedrock" not in sids, (scenario, role)


def test_vpc_permissions_only_with_a_vpc(dev: Plan, variant: Plan) -> None:
    for role, sids in _role_statements(variant).items():
        expected = _expected(role, "eu-west-1", "111111111111", "fileproc-dev")
        assert sids["DescribeNetworkInterfaces"] == (
            {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"},
            {"*"},
        )
        actions, resources = sids["ManageFunctionNetworkInterfaces"]
        assert actions == {
            "ec2:CreateNetworkInterface",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
        }
        ec2 = "arn:aws:ec2:eu-west-1:111111111111"
        assert resources == {
            f"{ec2}:network-interface/*",
            f"{ec2}:subnet/subnet-0a1b2c3d",
            f"{ec2}:security-group/sg-0a1b2c3d",
        }
        others = {k: v for k, v in sids.items() if not k.endswith("NetworkInterfaces")}
        if role == "document":
            others.pop("SummariseWithBedrock")
        assert others == expected, role
    for sids in _role_statements(dev).values():
        assert not any(sid.endswith("NetworkInterfaces") for sid in sids)


def test_customer_key_grants_only_on_the_key(prod: Plan, dev: Plan) -> None:
    grants = prod.by_index("aws_iam_role_policy", "kms")
    assert set(grants) == {"image", "document", "data", "api"}
    config = prod.config_resource("compute", "data.aws_iam_policy_document.kms")
    (statement,) = config["expressions"]["statement"]
    assert "local.kms_key_arn" in statement["resources"]["references"]
    # Data keys only for the roles that encrypt: the artefact writers' PutObject
    # and the api function's presigned POST; the data function only decrypts
    # (its queue, its environment, the uploads it reads).
    actions = {}
    for role in grants:
        document = prod.data_read_at_apply(
            f'module.compute.data.aws_iam_policy_document.kms["{role}"]'
        )
        (planned,) = document["statement"]
        actions[role] = set(planned["actions"])
    both = {"kms:Decrypt", "kms:GenerateDataKey"}
    assert actions == {"image": both, "document": both, "api": both, "data": {"kms:Decrypt"}}
    assert dev.by_index("aws_iam_role_policy", "kms") == {}
