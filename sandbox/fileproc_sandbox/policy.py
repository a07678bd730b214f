"""IAM policy evaluation for the sandbox's bucket policies (GAP 1 in gaps.py).

moto 5.2.1 denies whenever a statement's Condition does not hold (even for an
Allow) and lets a Deny's Condition be ignored. This module evaluates a
statement as IAM does: Action/NotAction, Resource/NotResource,
Principal/NotPrincipal and the Condition operators with IAM's rules for
missing keys (a missing key fails, except for negated operators, ...IfExists
and Null), values ORed (ANDed for negated operators). Every sandbox request
comes from the one account, so a principal applies when it is "*" or an AWS
principal of that account.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import logging
from collections.abc import Mapping
from typing import Any

from fileproc_sandbox.credentials import ACCOUNT_ID

log = logging.getLogger("fileproc.sandbox")

_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "NotIpAddress",
    "ArnNotEquals",
    "ArnNotLike",
}


def _matches(operator: str, actual: str, expected: str) -> bool:
    """One value against one policy value, for the positive form of an operator."""
    positive = operator.replace("Not", "", 1) if operator in _NEGATED else operator
    if positive == "StringEquals":
        return actual == expected
    if positive == "StringEqualsIgnoreCase":
        return actual.lower() == expected.lower()
    if positive in ("StringLike", "ArnLike", "ArnEquals"):
        return fnmatch.fnmatchcase(actual, expected)
    if positive == "Bool":
        return actual.lower() == expected.lower()
    if positive.startswith("Numeric"):
        a, e = float(actual), float(expected)
        return {
            "NumericEquals": a == e,
            "NumericLessThan": a < e,
            "NumericLessThanEquals": a <= e,
            "NumericGreaterThan": a > e,
            "NumericGreaterThanEquals": a >= e,
        }[positive]
    if positive == "IpAddress":
        return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
    raise UnsupportedCondition(operator)


class UnsupportedCondition(Exception):
    """A condition operator the sandbox does not evaluate (Date*, Binary*, set operators)."""


def condition_holds(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """IAM's rules: every operator and key must hold; values of one key are ORed
    (ANDed for negated operators); a missing key fails, except for negated
    operators, ...IfExists and Null."""
    for raw_operator, tests in condition.items():
        if_exists = raw_operator.endswith("IfExists")
        operator = raw_operator.removesuffix("IfExists")
        for key, expected in tests.items():
            values = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
            actual = context.get(key.lower())
            if operator == "Null":
                if (actual is None) != (values[0].lower() == "true"):
                    return False
                continue
            if actual is None:
                if if_exists or operator in _NEGATED:
                    continue
                return False
            hits = [_matches(operator, actual, value) for value in values]
            if (not any(hits)) if operator not in _NEGATED else any(hits):
                return False
    return True


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_is_caller(principal: Any) -> bool:
    """Every sandbox request comes from the one account; services are never the caller."""
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any(p == "*" or ACCOUNT_ID in str(p) for p in _as_list(principal.get("AWS", [])))


def statement_applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]
) -> bool:
    def any_match(patterns: Any, value: str, case: bool) -> bool:
        if case:
            return any(fnmatch.fnmatchcase(value, p) for p in _as_list(patterns))
        return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in _as_list(patterns))

    if "NotAction" in statement:
        if any_match(statement["NotAction"], action, case=False):
            return False
    elif not any_match(statement.get("Action", []), action, case=False):
        return False
    if "NotResource" in statement:
        if any_match(statement["NotResource"], resource, case=True):
            return False
    elif not any_match(statement.get("Resource", []), resource, case=True):
        return False
    if "NotPrincipal" in statement:
        if _principal_is_caller(statement["NotPrincipal"]):
            return False
    elif not _principal_is_caller(statement.get("Principal")):
        return False
    return condition_holds(statement.get("Condition") or {}, context)


def evaluate_bucket_policy(
    policy: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]
) -> str:
    """ "DENIED" when a Deny applies, "PERMITTED" when an Allow does, else "NEUTRAL"."""
    verdict = "NEUTRAL"
    for statement in _as_list(policy.get("Statement", [])):
        try:
            applies = statement_applies(statement, action, resource, context)
        except UnsupportedCondition as exc:
            log.warning("bucket policy condition %s is not evaluated; statement skipped", exc)
            continue
        if applies and statement.get("Effect") == "Deny":
            return "DENIED"
        if applies and statement.get("Effect") == "Allow":
            verdict = "PERMITTED"
    return verdict
