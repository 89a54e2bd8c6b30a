"""labgen's JSON Schemas for qna.yaml, and their errors turned into problems at file lines.

The schemas (labgen/taxonomy/schemas/*.json) follow the InstructLab format: skills versions 1-3,
knowledge version 3. Each schema is compiled once per process, not once per file.
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
SKILL_VERSIONS = (1, 2, 3)
KNOWLEDGE_VERSIONS = (3,)
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


def load_schema(family: str, version: int) -> dict[str, Any]:
    """One of labgen's shipped schemas, e.g. ('knowledge', 3)."""
    schema: dict[str, Any] = json.loads((SCHEMAS_DIR / f"{family}.v{version}.json").read_text(encoding="utf-8"))
    return schema


@functools.lru_cache(maxsize=None)
def compiled_validator(family: str, version: int) -> tuple[Any, Check | None]:
    """The Draft 2020-12 validator of one schema and its fast pre-check, built on first use and kept."""
    from jsonschema import Draft202012Validator

    schema = load_schema(family, version)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema), compile_fast_check(schema)


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
    if isinstance(version, bool) or not isinstance(version, int):
        return None, [Problem(ERROR, f"version must be a whole number, got {version!r}; "
                                     "write `version: 3`", line, col)]
    supported = KNOWLEDGE_VERSIONS if family == KNOWLEDGE else SKILL_VERSIONS
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


def _problems_of(error: Any, loaded: LoadedQna) -> Iterator[Problem]:
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
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
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
        problems.extend(_problems_of(error, loaded))
    problems.sort(key=lambda p: (p.line or 0, p.col or 0))
    return version, problems
