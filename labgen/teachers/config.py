"""Choosing and configuring a teacher, with one precedence order:

command-line option > environment variable > labgen.yaml `teacher:` section > built-in default.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from labgen.config import ConfigFile, load_config
from labgen.errors import ConfigError
from labgen.teachers.base import Teacher

BACKENDS = ("local", "openai", "vllm")
CLIENTS = ("direct", "langchain")
API_KEY_VARIABLES = ("LABGEN_TEACHER_API_KEY", "OPENAI_API_KEY")
# max_in_flight when not set: the embedded llama.cpp server's slots (`parallel`); 256 is vLLM's
# max_num_seqs on an A100.
DEFAULT_IN_FLIGHT = {"openai": 256, "vllm": 512}


@dataclass(frozen=True)
class TeacherConfig:
    backend: str = "local"
    urls: tuple[str, ...] = ("http://127.0.0.1:8000/v1",)  # several: requests spread over the servers
    model: str | None = None
    client: str = "direct"
    max_in_flight: int | None = None  # None: the backend's default (DEFAULT_IN_FLIGHT)
    request_timeout: float = 300.0
    max_retries: int = 5
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    threads: int | None = None  # None: every core this process may use
    n_ctx: int = 2048
    parallel: int = 4  # embedded: requests decoded together (llama.cpp server slots)
    model_path: str | None = None
    chunk_size: int = 256
    guided: bool = True  # send output formats as guided decoding where the backend supports it
    api_key: str = field(default="EMPTY", repr=False)

    @property
    def url(self) -> str:
        """The first (often the only) server URL."""
        return self.urls[0]

    @property
    def in_flight(self) -> int:
        """In flight per server (with several URLs the teacher keeps this many at each)."""
        if self.max_in_flight:
            return self.max_in_flight
        return self.parallel if self.backend == "local" else DEFAULT_IN_FLIGHT[self.backend]

    def describe(self) -> dict[str, Any]:
        """The settings without the API key, for run.json and `teacher check`."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "api_key"}


def _text(value: Any) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValueError("must be text")
    text = str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = _text(value).lower()
        if text not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return text
    return parse


def _url(value: Any) -> str:
    text = _text(value)
    if not text.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL, like http://127.0.0.1:8000/v1")
    return text.rstrip("/")


def _urls(value: Any) -> tuple[str, ...]:
    """One URL, several separated by commas or spaces, or a list of them (labgen.yaml)."""
    items = value if isinstance(value, (list, tuple)) else str(value).replace(",", " ").split()
    urls = tuple(_url(item) for item in items)
    if not urls:
        raise ValueError("must name at least one http:// or https:// URL")
    if len(set(urls)) != len(urls):
        raise ValueError("names the same URL twice")
    return urls


def _positive_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a positive integer")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ValueError("must be a positive integer") from None
    if number < 1:
        raise ValueError("must be a positive integer")
    return number


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _non_negative_int(value: Any) -> int:
    return 0 if str(value).strip() == "0" else _positive_int(value)


def _positive_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("must be a positive number of seconds")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError("must be a positive number of seconds") from None
    if not number > 0 or number == float("inf"):
        raise ValueError("must be a positive number of seconds")
    return number


def _non_negative_float(value: Any) -> float:
    return 0.0 if str(value).strip() in ("0", "0.0") else _positive_float(value)


@dataclass(frozen=True)
class Setting:
    key: str  # labgen.yaml key (and the TeacherConfig field, unless `field` says otherwise)
    option: str  # command-line option
    env: str  # environment variable
    parse: Callable[[Any], Any]
    field: str = ""

    @property
    def config_field(self) -> str:
        return self.field or self.key


SETTINGS = (
    Setting("backend", "--teacher", "LABGEN_TEACHER", _choice(BACKENDS)),
    Setting("url", "--teacher-url", "LABGEN_TEACHER_URL", _urls, field="urls"),
    Setting("model", "--teacher-model", "LABGEN_TEACHER_MODEL", _text),
    Setting("client", "--teacher-client", "LABGEN_TEACHER_CLIENT", _choice(CLIENTS)),
    Setting("max_in_flight", "--max-in-flight", "LABGEN_TEACHER_MAX_IN_FLIGHT", _positive_int),
    Setting("request_timeout", "--request-timeout", "LABGEN_TEACHER_REQUEST_TIMEOUT", _positive_float),
    Setting("max_retries", "--max-retries", "LABGEN_TEACHER_MAX_RETRIES", _non_negative_int),
    Setting("backoff_base_s", "--backoff-base", "LABGEN_TEACHER_BACKOFF_BASE", _non_negative_float),
    Setting("backoff_max_s", "--backoff-max", "LABGEN_TEACHER_BACKOFF_MAX", _non_negative_float),
    Setting("threads", "--threads", "LABGEN_TEACHER_THREADS", _positive_int),
    Setting("n_ctx", "--n-ctx", "LABGEN_TEACHER_N_CTX", _positive_int),
    Setting("parallel", "--parallel", "LABGEN_TEACHER_PARALLEL", _positive_int),
    Setting("model_path", "--teacher-model-path", "LABGEN_TEACHER_MODEL_PATH", _text),
    Setting("chunk_size", "--vllm-chunk-size", "LABGEN_TEACHER_CHUNK_SIZE", _positive_int),
    Setting("guided", "--guided/--no-guided", "LABGEN_TEACHER_GUIDED", _flag),
)
SETTINGS_BY_KEY = {s.key: s for s in SETTINGS}


def resolve_teacher_config(cli_values: Mapping[str, Any], env: Mapping[str, str],
                           config_file: Path | ConfigFile | None) -> TeacherConfig:
    """Merge the four sources (CLI > env > labgen.yaml > default); None in cli_values means not given."""
    config = config_file if isinstance(config_file, ConfigFile) else load_config(config_file)
    section = config.section("teacher")
    for key in section:
        if key not in SETTINGS_BY_KEY:
            raise config.error("teacher", key, "unknown setting",
                               hint=f"known settings: {', '.join(SETTINGS_BY_KEY)}")
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        cli_value = cli_values.get(setting.key)
        name = setting.config_field
        try:
            if cli_value is not None:
                values[name] = setting.parse(cli_value)
            elif env.get(setting.env, "").strip():
                values[name] = setting.parse(env[setting.env])
            elif setting.key in section and section[setting.key] is not None:
                values[name] = setting.parse(section[setting.key])
        except ValueError as exc:
            if cli_value is not None:
                raise ConfigError(f"{setting.option}: {exc}, got {cli_value!r}") from None
            if env.get(setting.env, "").strip():
                raise ConfigError(f"environment variable {setting.env}: {exc}, got {env[setting.env]!r}",
                                  hint=f"fix or unset {setting.env}") from None
            raise config.error("teacher", setting.key, f"{exc}, got {section[setting.key]!r}") from None
    api_key = next((env[name] for name in API_KEY_VARIABLES if env.get(name, "").strip()), "EMPTY")
    return TeacherConfig(**values, api_key=api_key)


def teacher_config_from_environment(cli_values: Mapping[str, Any] | None = None,
                                    config_path: str | Path | None = None) -> TeacherConfig:
    """resolve_teacher_config with the process environment and ./labgen.yaml (or `config_path`)."""
    from labgen.config import find_config_file

    return resolve_teacher_config(cli_values or {}, os.environ, find_config_file(config_path))


def build_teacher(config: TeacherConfig, *, engine_kwargs: dict[str, Any] | None = None) -> Teacher:
    """Construct (not start) the configured teacher: no network call, no weights loaded here.
    `engine_kwargs`: more vllm.LLM arguments (a Ray teacher actor's tensor_parallel_size)."""
    from labgen.teachers.retry import RetryPolicy

    retry = RetryPolicy(max_retries=config.max_retries, backoff_base_s=config.backoff_base_s,
                        backoff_max_s=config.backoff_max_s)
    if config.backend == "local":
        from labgen.teachers.embedded import EmbeddedTeacher

        return EmbeddedTeacher(model_path=config.model_path, threads=config.threads, n_ctx=config.n_ctx,
                               parallel=config.parallel, max_in_flight=config.in_flight, guided=config.guided)
    if config.backend == "openai":
        if config.client == "langchain":
            if len(config.urls) > 1:
                raise ConfigError("several teacher URLs need the direct client",
                                  hint="drop --teacher-client langchain, or give one --teacher-url")
            from labgen.teachers.langchain_client import LangChainTeacher

            return LangChainTeacher.for_openai_server(
                base_url=config.url, model=config.model, api_key=config.api_key,
                max_in_flight=config.in_flight, request_timeout=config.request_timeout, retry=retry)
        from labgen.teachers.openai_direct import OpenAITeacher

        return OpenAITeacher(base_url=config.urls, model=config.model, api_key=config.api_key,
                             max_in_flight=config.in_flight, request_timeout=config.request_timeout,
                             retry=retry, guided=config.guided)
    if config.backend == "vllm":
        from labgen.teachers.vllm_engine import VLLMTeacher

        if not config.model:
            raise ConfigError("the vllm backend needs a model", hint="pass --teacher-model, e.g. "
                              "mistralai/Mixtral-8x7B-Instruct-v0.1, or set LABGEN_TEACHER_MODEL")
        return VLLMTeacher(model=config.model, max_in_flight=config.in_flight,
                           chunk_size=config.chunk_size, guided=config.guided, engine_kwargs=engine_kwargs)
    raise ConfigError(f"unknown teacher backend {config.backend!r}", hint=f"choose one of {', '.join(BACKENDS)}")
