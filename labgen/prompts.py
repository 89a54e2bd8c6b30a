"""Prompt templates are data: YAML files in prompts/, rendered by Jinja with StrictUndefined: the shipped ones
in a plain environment (they are labgen's own code, and in the hot path of every request, where the
sandbox's check of every attribute access cost a few percent of labgen's CPU), a user-supplied folder's
in a sandboxed one.

A template file:

    id: freeform_instructions          # must equal the file name without .yaml
    description: one line on what the stage asks
    variables: [task_description, seed_examples, count]
    messages:
      - role: system
        content: |
          ...Jinja...
      - role: user
        content: |
          ...Jinja...

Undefined variables are errors (StrictUndefined). The file's sha256 travels with every sample.
Leaf-constant text (instructions, the leaf's seed examples) comes first and per-request text last, so
an inference server's prefix cache hits across a leaf's requests.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from labgen.errors import ConfigError
from labgen.hashing import sha256_bytes
from labgen.resources import prompts_dir

ROLES = ("system", "user", "assistant")


@functools.lru_cache(maxsize=2)
def environment(sandboxed: bool = True) -> Environment:
    """The one set of Jinja settings; `sandboxed` for templates labgen does not ship."""
    kind = SandboxedEnvironment if sandboxed else Environment
    return kind(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False, trim_blocks=True,
                lstrip_blocks=True)


class _Compiled:
    """A Jinja source compiled once, with what rendering it needs ready: it is in the hot path of every
    teacher request. Jinja's own render merges the template's globals (a ChainMap) into a new dict at
    every call; they never change here, so they are merged once. A source with no Jinja syntax at all
    is rendered once."""

    def __init__(self, source: str, sandboxed: bool) -> None:
        env = environment(sandboxed)
        self.template = env.from_string(source)
        self.globals = dict(self.template.globals)
        markers = (env.block_start_string, env.variable_start_string, env.comment_start_string)
        self.text: str | None = None
        if not any(marker in source for marker in markers):
            self.text = self.render({})

    def render(self, variables: dict[str, Any]) -> str:
        """What template.render(**variables) returns (the same context: its globals, then the variables)."""
        if self.text is not None:
            return self.text
        template = self.template
        context = template.new_context({**self.globals, **variables}, shared=True)
        try:
            return template.environment.concat(template.root_render_func(context))  # type: ignore[no-any-return]
        except Exception:
            template.environment.handle_exception()  # re-raises, as Template.render does
            raise


@functools.lru_cache(maxsize=512)
def _compiled(source: str, sandboxed: bool) -> _Compiled:
    return _Compiled(source, sandboxed)


@dataclass(frozen=True)
class Template:
    id: str
    sha256: str
    path: str
    description: str
    variables: frozenset[str]
    messages: tuple[tuple[str, str], ...]  # (role, Jinja source)
    sandboxed: bool = True  # False only for the templates labgen ships

    def used_variables(self) -> frozenset[str]:
        """Variables the Jinja sources actually reference."""
        env = environment(self.sandboxed)
        found: set[str] = set()
        for _, source in self.messages:
            found |= meta.find_undeclared_variables(env.parse(source))
        return frozenset(found)

    def render(self, **variables: Any) -> tuple[dict[str, str], ...]:
        """Render to chat messages. Missing or unexpected variables are errors."""
        if variables.keys() != self.variables:
            given = set(variables)
            missing = sorted(self.variables - given)
            extra = sorted(given - self.variables)
            raise ConfigError(f"template {self.id!r} rendered with wrong variables "
                              f"(missing {missing}, unexpected {extra})", path=self.path)
        out = []
        for role, source in self.messages:
            try:
                text = _compiled(source, self.sandboxed).render(variables)
            except TemplateError as exc:
                raise ConfigError(f"template {self.id!r} failed to render: {exc}", path=self.path) from None
            out.append({"role": role, "content": text.strip("\n")})
        return tuple(out)

    def ref(self) -> dict[str, str]:
        """What a sample's provenance records of this template."""
        return {"id": self.id, "sha256": self.sha256}


def load_template_file(path: Path, *, sandboxed: bool = True) -> Template:
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"prompt template is not valid YAML: {exc}", path=path) from None
    if not isinstance(data, dict):
        raise ConfigError("prompt template must be a mapping with id, variables and messages", path=path)
    template_id = data.get("id")
    if template_id != path.stem:
        raise ConfigError(f"template id {template_id!r} must equal the file name {path.stem!r}", path=path)
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ConfigError("prompt template needs a non-empty `messages` list", path=path)
    parsed = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES \
                or not isinstance(message.get("content"), str):
            raise ConfigError(f"messages[{index}] needs a role in {ROLES} and a string content", path=path)
        parsed.append((message["role"], message["content"]))
    variables = data.get("variables") or []
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
        raise ConfigError("`variables` must be a list of names", path=path)
    template = Template(id=template_id, sha256=sha256_bytes(raw), path=str(path),
                        description=str(data.get("description") or ""),
                        variables=frozenset(variables), messages=tuple(parsed), sandboxed=sandboxed)
    used = template.used_variables()
    if used != template.variables:
        raise ConfigError(f"template {template_id!r} declares variables {sorted(template.variables)} "
                          f"but uses {sorted(used)}", path=path, hint="make `variables` match the Jinja source")
    return template


RECHECK_S = 1.0  # a cached template's file is looked at again (one stat) at most this often


@dataclass
class _Cached:
    template: Template
    stamp: tuple[int, int]  # (st_mtime_ns, st_size) of the file it was read from
    checked: float  # time.monotonic() of the last look


_templates: dict[tuple[str, str], _Cached] = {}


def _file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def get_template(template_id: str, directory: Path | None = None) -> Template:
    """A shipped template by id (or one from a user-supplied folder).

    In the hot path of every teacher request, so it is served from memory; the file is looked at again
    (one stat) at most once a second and read again only when it changed.
    """
    key = (template_id, str(directory) if directory is not None else "")
    cached = _templates.get(key)
    now = time.monotonic()
    if cached is not None and now - cached.checked < RECHECK_S:
        return cached.template
    path = (directory or _shipped_prompts_dir()) / f"{template_id}.yaml"
    stamp = _file_stamp(path)
    if stamp is None:
        raise ConfigError(f"no prompt template named {template_id!r}", path=path)
    if cached is None or cached.stamp != stamp:
        cached = _templates[key] = _Cached(load_template_file(path, sandboxed=directory is not None), stamp, now)
    cached.checked = now
    return cached.template


@functools.lru_cache(maxsize=1)
def _shipped_prompts_dir() -> Path:
    return prompts_dir()  # where the install keeps them does not move while labgen runs


def all_template_ids(directory: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (directory or prompts_dir()).glob("*.yaml"))
