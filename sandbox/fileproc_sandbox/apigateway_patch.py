"""API Gateway's patch operations: the ``patchOperations`` of every Update* call of the REST API.

API Gateway documents them as JSON Patch (RFC 6902) on the resource's JSON shape
(https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html): a path is a
JSON Pointer such as ``/apiKeyRequired``, ``/requestParameters/method.request.querystring.x``
or ``/requestModels/application~1json`` ("~1" stands for "/", "~0" for "~"), and every value
travels as a string that API Gateway converts to the property's type ("true" for a boolean,
"30000" for an integer).

How each kind of property is patched here:

- a scalar: ``add`` or ``replace`` sets it, ``remove`` (or a ``replace`` without a value,
  which the Terraform provider sends to clear ``/requestValidatorId``) unsets it;
- a map (``MapOf``): one entry per operation, named by the path's last segment; ``add`` and
  ``replace`` set it, ``remove`` deletes it;
- a list of strings kept as a set (``SetOf``): ``add`` and ``remove`` take the member from
  the value (``/authorizationScopes`` + "scope") or from the path's last segment
  (``/binaryMediaTypes/image~1png``, ``/cacheKeyParameters/<name>``); ``replace`` of a
  member swaps it for the value (``/endpointConfiguration/types/EDGE`` -> "REGIONAL");
- an object: its properties by their own paths (``/throttle/rateLimit``); ``remove`` of the
  object itself unsets it all (``/quota``).

``copy`` and ``move`` read ``from`` and add at ``path``; ``test`` compares. A path outside the
resource's shape or a value of the wrong type is a ``PatchError`` (API Gateway's
BadRequestException) and the document is left as it was: operations apply all or nothing.
Removing what is not there changes nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

Scalar = Literal["string", "boolean", "integer", "number"]


@dataclass(frozen=True)
class MapOf:
    """A map patched one entry at a time, its values of one scalar type."""

    value: Scalar


@dataclass(frozen=True)
class SetOf:
    """A list of strings patched as a set, one member at a time."""


Kind: TypeAlias = "Scalar | MapOf | SetOf | Shape"
Shape: TypeAlias = Mapping[str, Kind]

OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")


class PatchError(ValueError):
    """An operation API Gateway would refuse (BadRequestException)."""


def unescape(segment: str) -> str:
    # RFC 6901: "~1" first, so that "~01" becomes "~1" and not "/".
    return segment.replace("~1", "/").replace("~0", "~")


def segments(path: Any, shape: Shape) -> list[str]:
    if not isinstance(path, str) or not path.startswith("/") or path == "/":
        raise PatchError(f"Invalid patch path {path!r}: must start with '/' and name a property")
    parts = [unescape(part) for part in path[1:].split("/")]
    if parts[0] not in shape:
        allowed = ", ".join(f"/{name}" for name in shape)
        raise PatchError(f"Invalid patch path {path}: must be one of [{allowed}]")
    return parts


def convert(value: Any, kind: Scalar, path: str) -> Any:
    """A patch value (always a string) as the property's type."""
    if value is None:
        return None
    text = str(value)
    if kind == "string":
        return text
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise PatchError(f"Invalid value for {path}: {text!r} is not a boolean (true or false)")
        return text.lower() == "true"
    if text == "":  # how a number is unset (the provider clears minimumCompressionSize so)
        return None
    try:
        return int(text) if kind == "integer" else float(text)
    except ValueError:
        expected = "an integer" if kind == "integer" else "a number"
        raise PatchError(f"Invalid value for {path}: {text!r} is not {expected}") from None


def as_patch_value(value: Any) -> str:
    """A document value in the patch's string form (the inverse of convert)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class Target:
    """Where a path points: the container, the key in it, and the kind of what is there
    (a map's entry is its container's key, of the map's value type)."""

    container: dict[str, Any]
    key: str
    kind: Kind
    member: str | None  # a set's member named by the path


def locate(document: dict[str, Any], path: str, shape: Shape) -> Target:
    parts = segments(path, shape)
    container, key, kind, rest = document, parts[0], shape[parts[0]], parts[1:]
    while isinstance(kind, Mapping) and rest:  # into an object property
        if rest[0] not in kind:
            raise PatchError(f"Invalid patch path {path}: {key} has only [{', '.join(kind)}]")
        if container.get(key) is None:
            container[key] = {}
        container, key, kind, rest = container[key], rest[0], kind[rest[0]], rest[1:]
    if isinstance(kind, MapOf):
        if len(rest) != 1 or not rest[0]:
            raise PatchError(f"Invalid patch path {path}: name one entry (/{key}/<name>)")
        if container.get(key) is None:
            container[key] = {}
        return Target(container[key], rest[0], kind.value, None)
    if isinstance(kind, SetOf):
        if len(rest) > 1:
            raise PatchError(f"Invalid patch path {path}: {key} is a list of strings")
        return Target(container, key, kind, rest[0] if rest else None)
    if rest:
        raise PatchError(f"Invalid patch path {path}: {key} has no properties")
    return Target(container, key, kind, None)


def read(target: Target) -> Any:
    if isinstance(target.kind, SetOf) and target.member is not None:
        return target.member if target.member in (target.container.get(target.key) or []) else None
    return target.container.get(target.key)


def write(target: Target, value: Any, path: str, op: str) -> None:
    """add or replace: set a scalar or map entry, add (or swap) a set's member."""
    if isinstance(target.kind, SetOf):
        members = list(target.container.get(target.key) or [])
        if op == "replace" and target.member is not None:
            if value is None:
                raise PatchError(f"Invalid patch for {path}: replace needs a value")
            members = [str(value) if m == target.member else m for m in members]
        else:
            member = target.member if target.member is not None else value
            if member is None:
                raise PatchError(f"Invalid patch for {path}: name the member to {op}")
            if str(member) not in members:
                members.append(str(member))
        target.container[target.key] = members
    elif isinstance(target.kind, Mapping):
        raise PatchError(f"Invalid patch for {path}: set the properties of {target.key} one by one")
    elif value is None:
        if op != "replace":
            raise PatchError(f"Invalid patch for {path}: {op} needs a value")
        target.container.pop(target.key, None)  # the provider clears /requestValidatorId so
    elif isinstance(target.kind, str):
        target.container[target.key] = convert(value, target.kind, path)


def delete(target: Target, value: Any) -> None:
    if isinstance(target.kind, SetOf):
        member = target.member if target.member is not None else value
        if member is None:
            target.container.pop(target.key, None)  # the whole list
        else:
            members = target.container.get(target.key) or []
            target.container[target.key] = [m for m in members if m != member]
        return
    target.container.pop(target.key, None)


def apply_patch(
    document: Mapping[str, Any], operations: Sequence[Mapping[str, Any]], shape: Shape
) -> dict[str, Any]:
    """The document after the operations, in order; the input is never changed."""
    patched: dict[str, Any] = copy.deepcopy(dict(document))
    for operation in operations:
        op, value = operation.get("op"), operation.get("value")
        path = str(operation.get("path") or "")
        if op not in OPERATIONS:
            raise PatchError(
                f"Invalid patch operation {op!r}: must be one of [{', '.join(OPERATIONS)}]"
            )
        target = locate(patched, path, shape)
        if op == "remove":
            delete(target, value)
        elif op in ("add", "replace"):
            write(target, value, path, op)
        elif op == "test":
            kind = target.kind
            expected = convert(value, kind, path) if isinstance(kind, str) else value
            if read(target) != expected:
                raise PatchError(f"Patch test failed: {path} is not {value!r}")
        else:  # copy, move: one value, from one path to another
            source = locate(patched, str(operation.get("from") or ""), shape)
            found = read(source)
            if found is None or isinstance(found, Mapping | list):
                raise PatchError(f"Invalid patch for {path}: {op} takes one value, not {found!r}")
            write(target, as_patch_value(found), path, "add")
            if op == "move":
                delete(source, None)
    return patched
