"""A fast yes/no pre-check compiled from a JSON Schema, so valid files skip jsonschema's slower walk.

It understands only the keywords labgen's own schemas use and is stricter than jsonschema where the
two could differ (booleans, float versions, equal-looking items): True means certainly valid; False
means "ask jsonschema", which then reports the errors. A schema with any other keyword gets no fast path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "examples", "default"})
_TYPES: dict[str, type] = {"string": str, "array": list, "object": dict, "integer": int}


class UnsupportedSchema(Exception):
    """The schema uses a keyword this pre-check does not implement."""


def compile_fast_check(schema: dict[str, Any]) -> Check | None:
    """A function returning True only for instances the schema certainly accepts; None if unsupported."""
    try:
        return _compile(schema)
    except UnsupportedSchema:
        return None


def _compile(schema: dict[str, Any]) -> Check:
    unknown = set(schema) - _ANNOTATIONS - {"type", "required", "additionalProperties", "properties", "items",
                                              "minItems", "minLength", "const", "uniqueItems"}
    if unknown:
        raise UnsupportedSchema(", ".join(sorted(unknown)))
    kind = schema.get("type")
    if kind not in _TYPES:
        raise UnsupportedSchema(f"type {kind!r}")
    if kind == "object":
        return _object_check(schema)
    if kind == "array":
        return _array_check(schema)
    if set(schema) & {"properties", "required", "additionalProperties", "items", "minItems", "uniqueItems"}:
        raise UnsupportedSchema("container keywords on a scalar type")
    if kind == "string":
        min_length = schema.get("minLength", 0)
        return lambda value: type(value) is str and len(value) >= min_length and (
            "const" not in schema or value == schema["const"])
    if "minLength" in schema:
        raise UnsupportedSchema("minLength on an integer")
    if "const" in schema:
        const = schema["const"]
        return lambda value: type(value) is int and value == const
    return lambda value: type(value) is int


def _object_check(schema: dict[str, Any]) -> Check:
    if set(schema) & {"items", "minItems", "minLength", "const", "uniqueItems"}:
        raise UnsupportedSchema("array or string keywords on an object")
    properties = {name: _compile(sub) for name, sub in schema.get("properties", {}).items()}
    required = tuple(schema.get("required", ()))
    closed = schema.get("additionalProperties", True)
    if closed not in (True, False):
        raise UnsupportedSchema("additionalProperties with a schema")
    allowed = frozenset(properties)

    def check(value: Any) -> bool:
        if type(value) is not dict:
            return False
        for name in required:
            if name not in value:
                return False
        if closed is False and not allowed.issuperset(value):
            return False
        for name, item in value.items():
            sub = properties.get(name)
            if sub is not None and not sub(item):
                return False
        return True

    return check


def _array_check(schema: dict[str, Any]) -> Check:
    if set(schema) & {"properties", "required", "additionalProperties", "minLength", "const"}:
        raise UnsupportedSchema("object or string keywords on an array")
    items = _compile(schema["items"]) if "items" in schema else None
    min_items = schema.get("minItems", 0)
    unique = schema.get("uniqueItems", False)

    def check(value: Any) -> bool:
        if type(value) is not list or len(value) < min_items:
            return False
        if items is not None:
            for item in value:
                if not items(item):
                    return False
        if unique:
            seen: set[Any] = set()
            for item in value:
                key = _canonical(item)
                if key in seen:
                    return False
                seen.add(key)
        return True

    return check


def _canonical(value: Any) -> Any:
    """A hashable stand-in that is equal for values jsonschema could call equal (1 and 1.0 included)."""
    if isinstance(value, dict):
        if all(type(item) is str for item in value.values()):  # the common case: a seed example's texts
            return ("texts", frozenset(value.items()))
        return ("map", frozenset((key, _canonical(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("list", tuple(_canonical(item) for item in value))
    if isinstance(value, bool) or value is None:
        return ("const", value)
    if isinstance(value, float) and value.is_integer():
        return ("number", int(value))
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, str):
        return ("text", value)
    return ("other", repr(value))
