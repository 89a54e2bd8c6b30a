"""Reading a recipe file safely and turning schema violations into messages that point at the field.

A message reads `recipe.yaml:12: phases[1].replay.fraction: must be between 0 and 1`: the file, the
line of the offending value, the field path as it is written in the recipe, and what it must be.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from labgen.errors import ConfigError

MAX_RECIPE_BYTES = 1_000_000
_SCHEMA_FILE = Path(__file__).resolve().parent / "recipe.schema.json"

FieldPath = Sequence[str | int]


@lru_cache(maxsize=1)
def recipe_schema() -> dict[str, Any]:
    """The recipe JSON Schema shipped beside this module."""
    schema: dict[str, Any] = json.loads(_SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def format_field(path: FieldPath) -> str:
    """`("phases", 1, "replay", "fraction")` -> `phases[1].replay.fraction`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


class RecipeDocument:
    """A parsed recipe: its data plus the YAML node tree, to find the line of any field."""

    def __init__(self, source: str, data: Any, root: yaml.Node | None) -> None:
        self.source = source
        self.data = data
        self.root = root

    def line_of(self, path: FieldPath) -> int | None:
        """1-based line of the value at `path`, or of its nearest existing parent."""
        node = self.root
        if node is None:
            return None
        for part in path:
            child = _child_node(node, part)
            if child is None:
                break
            node = child
        return node.start_mark.line + 1

    def error(self, path: FieldPath, message: str, hint: str | None = None) -> ConfigError:
        """A ConfigError naming the file, the line and the field."""
        return ConfigError(f"{format_field(path)}: {message}", path=self.source, line=self.line_of(path),
                           hint=hint)


def _child_node(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        child: yaml.Node = node.value[part]
        return child
    return None


def parse_recipe_text(text: str, source: str) -> RecipeDocument:
    """Parse YAML without aliases or custom tags; errors name the file and line."""
    if len(text.encode("utf-8")) > MAX_RECIPE_BYTES:
        raise ConfigError(f"recipe is larger than {MAX_RECIPE_BYTES} bytes", path=source,
                          hint="a recipe is a short YAML file; check you passed the right file")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"not valid YAML: {problem}", path=source, line=line,
                          hint="fix the YAML syntax at that line") from None
    if root is not None:
        _reject_aliases(root, source)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:  # a tag SafeLoader cannot construct
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", path=source,
                          line=mark.line + 1 if mark is not None else None,
                          hint="recipes use plain YAML: mappings, lists, strings and numbers") from None
    return RecipeDocument(source, data, root)


def _reject_aliases(root: yaml.Node, source: str) -> None:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise ConfigError("YAML anchors and aliases are not allowed in recipes", path=source,
                              line=node.start_mark.line + 1, hint="write the value out in full")
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def schema_errors(doc: RecipeDocument) -> list[ConfigError]:
    """Every schema violation of the recipe, in document order, as a pointed ConfigError."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(recipe_schema())
    errors = sorted(validator.iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path])
    return [doc.error(list(error.absolute_path), _describe(error)) for error in errors]


def _describe(error: Any) -> str:
    """A short sentence for one jsonschema error, saying what the value must be."""
    keyword = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return _range_message(schema)
    if keyword == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        return f"missing required field {_quote_list(missing)}"
    if keyword == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        return f"unknown field {_quote_list(extra)} (allowed: {', '.join(allowed)})"
    if keyword == "enum":
        return f"must be one of {', '.join(json.dumps(v) for v in error.validator_value)}, not {json.dumps(error.instance)}"
    if keyword == "type":
        return f"must be {_article(error.validator_value)}, not {json.dumps(error.instance, default=str)}"
    if keyword == "pattern":
        if error.validator_value == "\\S":
            return "must not be blank"
        return f"{json.dumps(error.instance)} is not a valid name (lowercase letters, digits, '_' and '-')"
    if keyword == "minItems":
        return f"must list at least {error.validator_value} item(s)"
    if keyword == "minLength":
        return "must not be empty"
    return str(error.message)


def _range_message(schema: dict[str, Any]) -> str:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is not None and high is not None:
        return f"must be between {low} and {high}" + (
            f" (more than {low})" if "exclusiveMinimum" in schema else "")
    if low is not None:
        return f"must be more than {low}" if "exclusiveMinimum" in schema else f"must be at least {low}"
    return f"must be at most {high}"


def _article(type_name: Any) -> str:
    words = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
             "number": "a number", "boolean": "true or false"}
    if isinstance(type_name, str):
        return words.get(type_name, type_name)
    return " or ".join(words.get(t, t) for t in type_name)


def _quote_list(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)
