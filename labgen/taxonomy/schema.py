"""InstructLab's JSON Schemas for qna.yaml, and their errors turned into problems at file lines.

The schemas (labgen/taxonomy/schemas/v*/, vendored unchanged from `instructlab-schema`) are the source
of truth, so labgen's verdict on a leaf is InstructLab's; labgen adds the line, the column and the fix.
Each schema is compiled once per process, not once per file.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from labgen.taxonomy.leaf import ERROR, KNOWLEDGE, Problem
from labgen.taxonomy.loader import LoadedQna
from labgen.taxonomy.schema_fast import Check, compile_fast_check
from labgen.taxonomy.yaml_tree import YamlPath

SCHEMAS_DIR = Path(__file__).parent / "schemas"
MAX_LIST_ITEMS = 1000
_FIELD_HINTS = {
    "question": "write the question", "answer": "write the answer", "context": "add the context excerpt",
    "created_by": "add your GitHub user name", "task_description": "describe the skill in a sentence",
    "seed_examples": "add the seed examples", "domain": "name the knowledge domain (e.g. Chemistry)",
    "document_outline": "summarise the documents in a sentence", "document": "say where the documents live",
    "repo": "add the documents' git repository URL or path", "commit": "add the commit to read",
    "patterns": "add glob patterns of the document files", "questions_and_answers": "add question-answer pairs",
    "version": "add `version: 3`",
}


def schema_family(branch: str | None, data: dict[str, Any]) -> str:
    """'knowledge' or 'compositional_skills' (foundational skills share the skill schema)."""
    if branch is None:
        return KNOWLEDGE if "document" in data else "compositional_skills"
    return KNOWLEDGE if branch == KNOWLEDGE else "compositional_skills"


@functools.lru_cache(maxsize=None)
def _schema_file(version: int, name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS_DIR / f"v{version}" / name).read_text(encoding="utf-8"))
    return schema


def load_schema(family: str, version: int) -> dict[str, Any]:
    """One of InstructLab's schemas as shipped, e.g. ('knowledge', 3)."""
    return _schema_file(version, f"{family}.json")


@functools.lru_cache(maxsize=None)
def supported_versions(family: str) -> tuple[int, ...]:
    """The versions of `family` with a schema that is not marked deprecated (knowledge: 3 only)."""
    found = []
    for folder in SCHEMAS_DIR.glob("v*"):
        if folder.name[1:].isdigit() and (folder / f"{family}.json").is_file():
            if not load_schema(family, int(folder.name[1:])).get("deprecated"):
                found.append(int(folder.name[1:]))
    return tuple(sorted(found))


def flattened_schema(schema: dict[str, Any], version: int) -> dict[str, Any]:
    """The schema with its `$ref` to version.json merged in and `unevaluatedProperties` read as
    `additionalProperties` (equivalent once the only applicator is merged): the form the fast check reads."""
    flat = {key: value for key, value in schema.items() if key not in ("$ref", "deprecated")}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        included = _schema_file(version, Path(ref).name)
        flat["properties"] = {**included.get("properties", {}), **schema.get("properties", {})}
        flat["required"] = [*included.get("required", []), *schema.get("required", [])]
    if "unevaluatedProperties" in flat:
        flat["additionalProperties"] = flat.pop("unevaluatedProperties")
    if isinstance(flat.get("properties"), dict):
        flat["properties"] = {name: flattened_schema(sub, version) for name, sub in flat["properties"].items()}
    if isinstance(flat.get("items"), dict):
        flat["items"] = flattened_schema(flat["items"], version)
    return flat


@functools.lru_cache(maxsize=None)
def compiled_validator(family: str, version: int) -> tuple[Any, Check | None]:
    """The schema's validator (its `$ref`s read from the vendored files only) and its fast pre-check."""
    from jsonschema.validators import Draft202012Validator, validator_for
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    def retrieve(uri: str) -> Any:
        return Resource.from_contents(_schema_file(version, Path(uri).name), default_specification=DRAFT202012)

    schema = load_schema(family, version)
    cls = validator_for(schema, default=Draft202012Validator)
    cls.check_schema(schema)
    validator = cls(schema, registry=Registry(retrieve=retrieve))  # type: ignore[call-arg]
    return validator, compile_fast_check(flattened_schema(schema, version))


def declared_version(loaded: LoadedQna, family: str) -> tuple[int | None, list[Problem]]:
    """The file's schema version, or None with the problem that says why it cannot be used."""
    data = loaded.data
    line, col = loaded.position(("version",))
    if "version" not in data:
        if family == KNOWLEDGE:
            return None, [Problem(ERROR, "knowledge leaves need version 3 (this file has no `version`, so it is "
                                         "version 1: `task_description` and `document` at the top, no "
                                         "`document_outline`); see docs/taxonomy.md", 1, 1)]
        return 1, []
    version = data["version"]
    if isinstance(version, float) and version.is_integer():
        version = int(version)  # `version: 3.0` is 3 to JSON Schema, hence to InstructLab
    if isinstance(version, bool) or not isinstance(version, int):
        return None, [Problem(ERROR, f"version must be a whole number, got {version!r}; "
                                     "write `version: 3`", line, col)]
    supported = supported_versions(family)
    if version not in supported:
        if family == KNOWLEDGE and version in (1, 2):
            message = (f"knowledge leaves need version 3 (this is version {version}: `task_description` and "
                       "`document` at the top, no `document_outline`); see docs/taxonomy.md")
        else:
            message = f"unsupported version {version}; use one of {', '.join(map(str, supported))}"
        return None, [Problem(ERROR, message, line, col)]
    return version, []


def render_path(path: YamlPath) -> str:
    """('seed_examples', 2, 'answer') -> 'seed_examples[2].answer'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {str: "text", int: "a number", float: "a number", list: "a list", dict: "a mapping"}.get(
        type(value), type(value).__name__)


def _where(path: YamlPath) -> str:
    return f"{render_path(path)}: " if path else ""


def _declared_properties(schema: dict[str, Any], version: int) -> set[str]:
    """The keys a (sub)schema allows, those of its `$ref` included."""
    names = set(schema.get("properties", {}))
    if isinstance(schema.get("$ref"), str):
        names |= set(_schema_file(version, Path(schema["$ref"]).name).get("properties", {}))
    return names


def _problems_of(error: Any, loaded: LoadedQna, version: int) -> Iterator[Problem]:
    """One or more problems for one jsonschema ValidationError, at the offending key's line."""
    path: YamlPath = tuple(error.absolute_path)
    where = _where(path)
    line, col = loaded.position(path)
    validator, expected, instance = error.validator, error.validator_value, error.instance
    if validator == "required":
        missing = [name for name in expected if isinstance(instance, dict) and name not in instance]
        for name in missing:
            hint = _FIELD_HINTS.get(name, f"add '{name}'")
            yield Problem(ERROR, f"{where}missing required field '{name}'; {hint}", line, col)
        return
    if validator in ("additionalProperties", "unevaluatedProperties"):
        allowed = sorted(_declared_properties(error.schema, version))
        for key in sorted(set(instance) - set(allowed)):
            key_line, key_col = loaded.position((*path, key))
            yield Problem(ERROR, f"{where}unknown field '{key}'; remove it or fix its spelling "
                                 f"(allowed: {', '.join(allowed)})", key_line, key_col)
        return
    if validator == "minItems":
        have = len(instance) if isinstance(instance, list) else 0
        what = "seed examples" if path and path[-1] == "seed_examples" else "items"
        yield Problem(ERROR, f"{where}has {have} {what}, needs at least {expected}; add {expected - have} more",
                      line, col)
        return
    if validator == "minLength":
        yield Problem(ERROR, f"{where}is empty; {_FIELD_HINTS.get(str(path[-1]) if path else '', 'fill it in')}",
                      line, col)
        return
    if validator == "type":
        wanted = {"string": "text", "array": "a list", "object": "a mapping", "integer": "a whole number"}
        yield Problem(ERROR, f"{where}must be {wanted.get(expected, expected)}, not {_type_name(instance)}"
                             + ("; quote it" if expected == "string" and not isinstance(instance, (list, dict))
                                else ""), line, col)
        return
    if validator == "uniqueItems" and isinstance(instance, list):
        seen: list[Any] = []
        for index, item in enumerate(instance):
            if item in seen:
                first = seen.index(item)
                item_line, item_col = loaded.position((*path, index))
                yield Problem(ERROR, f"{render_path((*path, index))} repeats {render_path((*path, first))} "
                                     "exactly; remove the duplicate", item_line, item_col)
                return
            seen.append(item)
    if validator == "const":
        yield Problem(ERROR, f"{where}must be {expected!r}, not {instance!r}", line, col)
        return
    yield Problem(ERROR, f"{where}{error.message}", line, col)


def _oversized_lists(loaded: LoadedQna) -> list[Problem]:
    """Lists longer than MAX_LIST_ITEMS (a leaf holds a handful of examples, not thousands)."""
    problems: list[Problem] = []
    stack: list[tuple[YamlPath, Any]] = [((), loaded.data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(((*path, key), item) for key, item in value.items())
        elif isinstance(value, list):
            if len(value) > MAX_LIST_ITEMS:
                line, col = loaded.position(path)
                problems.append(Problem(ERROR, f"{_where(path)}has {len(value):,} items, more than the "
                                               f"{MAX_LIST_ITEMS:,} a leaf may hold; split it into several leaves",
                                        line, col))
            else:
                stack.extend(((*path, index), item) for index, item in enumerate(value))
    return problems


def schema_problems(loaded: LoadedQna, branch: str | None) -> tuple[int | None, list[Problem]]:
    """The file's version (None when unusable) and every schema problem, sorted by line."""
    family = schema_family(branch, loaded.data)
    version, problems = declared_version(loaded, family)
    if version is None:
        return None, problems
    validator, fast_check = compiled_validator(family, version)
    if fast_check is not None and fast_check(loaded.data):
        return version, problems
    oversized = _oversized_lists(loaded)
    if oversized:  # jsonschema's uniqueItems is quadratic: refuse before it runs
        return version, problems + oversized
    for error in validator.iter_errors(loaded.data):
        problems.extend(_problems_of(error, loaded, version))
    problems.sort(key=lambda p: (p.line or 0, p.col or 0))
    return version, problems
