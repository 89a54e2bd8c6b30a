"""The teacher options every teacher-using command shares, and the Teacher they build.

Usage: decorate a command with `@teacher_options`, then `teacher = teacher_from_cli(kwargs)`.
Precedence: option > environment variable > labgen.yaml (`teacher:`) > default.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from labgen.teachers.base import Teacher

F = TypeVar("F", bound=Callable[..., Any])

# (option, config key, click type, help)
_OPTIONS: tuple[tuple[str, str, Any, str], ...] = (
    ("--teacher", "backend", click.Choice(["local", "openai", "vllm"], case_sensitive=False),
     "Teacher backend: local (embedded SmolLM2, default), openai (an OpenAI-compatible server), vllm. "
     "[env LABGEN_TEACHER]"),
    ("--teacher-url", "url", list, "Base URL of the OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1; "
     "repeat it for several servers (requests go to the least busy). [env LABGEN_TEACHER_URL, comma-separated]"),
    ("--teacher-model", "model", str, "Model name (openai: discovered from /v1/models when omitted). "
     "[env LABGEN_TEACHER_MODEL]"),
    ("--teacher-client", "client", click.Choice(["direct", "langchain"], case_sensitive=False),
     "HTTP client for --teacher openai: direct (fast, default) or langchain (ChatOpenAI). "
     "[env LABGEN_TEACHER_CLIENT]"),
    ("--max-in-flight", "max_in_flight", str, "Most requests in flight at once, per server (default: local "
     "--parallel, openai 256). [env LABGEN_TEACHER_MAX_IN_FLIGHT]"),
    ("--request-timeout", "request_timeout", str, "Seconds before a request is abandoned and retried "
     "(default 300). [env LABGEN_TEACHER_REQUEST_TIMEOUT]"),
    ("--max-retries", "max_retries", str, "Retries per request on timeouts, 429, 5xx, dropped connections and "
     "garbled answers (default 5). [env LABGEN_TEACHER_MAX_RETRIES]"),
    ("--threads", "threads", str, "CPU threads for the embedded model (default: all cores). "
     "[env LABGEN_TEACHER_THREADS]"),
    ("--parallel", "parallel", str, "Requests the embedded model decodes together (default 4). "
     "[env LABGEN_TEACHER_PARALLEL]"),
    ("--guided/--no-guided", "guided", bool, "Enforce judges' verdicts and numbered lists by guided decoding "
     "(vLLM structured outputs, llama.cpp grammar; default on, dropped with a notice where a server refuses it). "
     "[env LABGEN_TEACHER_GUIDED]"),
    ("--config", "config_path", click.Path(dir_okay=False), "labgen.yaml to read (default: ./labgen.yaml "
     "when present)."),
)

CONFIG_KEYS = tuple(key for _, key, _, _ in _OPTIONS if key != "config_path")


def teacher_options(func: F) -> F:
    """Add the teacher options to a click command (values arrive as kwargs named by config key)."""
    for option, key, kind, help_text in reversed(_OPTIONS):
        if kind is bool:  # an on/off flag pair; None when neither is given
            func = click.option(option, key, default=None, help=help_text)(func)
        elif kind is list:  # repeatable; an empty tuple (not given) becomes None in pop_teacher_values
            func = click.option(option, key, type=str, multiple=True, help=help_text)(func)
        else:
            func = click.option(option, key, type=kind, default=None, help=help_text)(func)
    return func


def pop_teacher_values(kwargs: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """Take the teacher options out of a command's kwargs: (cli values, --config path)."""
    values = {key: kwargs.pop(key, None) for key in CONFIG_KEYS}
    values["url"] = values["url"] or None  # repeatable: () when not given
    return values, kwargs.pop("config_path", None)


def teacher_config_from_cli(kwargs: dict[str, Any]) -> Any:
    from labgen.config import find_config_file
    from labgen.teachers.config import resolve_teacher_config

    values, config_path = pop_teacher_values(kwargs)
    return resolve_teacher_config(values, os.environ, find_config_file(config_path))


def teacher_from_cli(kwargs: dict[str, Any]) -> Teacher:
    """Resolve the options (removing them from kwargs) and construct the teacher; nothing loads yet."""
    from labgen.teachers.config import build_teacher

    return build_teacher(teacher_config_from_cli(kwargs))
