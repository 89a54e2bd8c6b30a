"""Teacher configuration: one precedence order (CLI > env > labgen.yaml > default) and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from labgen.config import find_config_file, load_config
from labgen.errors import ConfigError
from labgen.teachers.config import TeacherConfig, build_teacher, resolve_teacher_config

FILE = """\
teacher:
  backend: openai
  url: http://file-host:8000/v1
  model: file-model
  max_in_flight: 32
  request_timeout: 12.5
  max_retries: 2
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "labgen.yaml"
    path.write_text(text)
    return path


def test_defaults_without_any_source() -> None:
    config = resolve_teacher_config({}, {}, None)
    assert config == TeacherConfig()
    assert config.backend == "local" and config.in_flight == config.parallel == 4 and config.api_key == "EMPTY"


def test_file_overrides_defaults(tmp_path: Path) -> None:
    config = resolve_teacher_config({}, {}, write(tmp_path, FILE))
    assert (config.backend, config.url, config.model) == ("openai", "http://file-host:8000/v1", "file-model")
    assert (config.max_in_flight, config.request_timeout, config.max_retries) == (32, 12.5, 2)
    assert config.n_ctx == 2048  # untouched keys keep their defaults


def test_env_overrides_file_and_cli_overrides_env(tmp_path: Path) -> None:
    env = {"LABGEN_TEACHER_URL": "http://env-host:9000/v1", "LABGEN_TEACHER_MAX_IN_FLIGHT": "64",
           "LABGEN_TEACHER_MODEL": "env-model"}
    config = resolve_teacher_config({"model": "cli-model", "max_in_flight": None}, env, write(tmp_path, FILE))
    assert config.url == "http://env-host:9000/v1"  # env beats file
    assert config.max_in_flight == 64  # env beats file; a None CLI value means "not given"
    assert config.model == "cli-model"  # CLI beats env
    assert config.backend == "openai"  # file beats default


def test_openai_default_in_flight_is_256() -> None:
    assert resolve_teacher_config({"backend": "openai"}, {}, None).in_flight == 256


def test_api_key_comes_from_the_environment_in_order() -> None:
    assert resolve_teacher_config({}, {"OPENAI_API_KEY": "b"}, None).api_key == "b"
    both = {"OPENAI_API_KEY": "b", "LABGEN_TEACHER_API_KEY": "sk-secret-123"}
    config = resolve_teacher_config({}, both, None)
    assert config.api_key == "sk-secret-123"
    assert "sk-secret-123" not in repr(config) and "api_key" not in config.describe()


@pytest.mark.parametrize(("cli", "needle"), [
    ({"backend": "gpt"}, "--teacher: must be one of local, openai, vllm"),
    ({"max_in_flight": "0"}, "--max-in-flight: must be a positive integer"),
    ({"request_timeout": "soon"}, "--request-timeout: must be a positive number"),
    ({"url": "localhost:8000"}, "--teacher-url: must be an http:// or https:// URL"),
])
def test_bad_cli_values_name_the_option(cli: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_teacher_config(cli, {}, None)
    assert needle in str(info.value)


def test_bad_env_value_names_the_variable() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_teacher_config({}, {"LABGEN_TEACHER_MAX_RETRIES": "-1"}, None)
    assert "LABGEN_TEACHER_MAX_RETRIES" in str(info.value) and "'-1'" in str(info.value)


def test_bad_file_value_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "teacher:\n  backend: openai\n  max_in_flight: lots\n")
    with pytest.raises(ConfigError) as info:
        resolve_teacher_config({}, {}, path)
    assert f"{path}:3: teacher.max_in_flight: must be a positive integer" in str(info.value)


def test_unknown_key_and_unknown_section_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="teacher.max_inflight: unknown setting"):
        resolve_teacher_config({}, {}, write(tmp_path, "teacher:\n  max_inflight: 3\n"))
    with pytest.raises(ConfigError, match=r":1: unknown section 'teachr'"):
        load_config(write(tmp_path, "teachr:\n  backend: local\n"))


def test_yaml_errors_and_aliases_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "teacher: [unclosed\n"))
    with pytest.raises(ConfigError, match="aliases are not allowed"):
        load_config(write(tmp_path, "teacher: &a\n  backend: local\ngenerate: *a\n"))
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(write(tmp_path, "- teacher\n"))


def test_config_file_lookup(tmp_path: Path) -> None:
    assert find_config_file(None, cwd=tmp_path) is None
    path = write(tmp_path, FILE)
    assert find_config_file(None, cwd=tmp_path) == path
    with pytest.raises(ConfigError, match="config file not found"):
        find_config_file(tmp_path / "missing.yaml")


def test_other_sections_come_back_raw(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FILE + "generate:\n  seed: 7\n  leaves: [a, b]\n"))
    assert dict(config.section("generate")) == {"seed": 7, "leaves": ["a", "b"]}
    assert config.line_of("generate", "leaves") == 10


def test_build_teacher_picks_the_backend() -> None:
    assert build_teacher(resolve_teacher_config({}, {}, None)).backend == "local"
    openai = build_teacher(resolve_teacher_config({"backend": "openai", "max_in_flight": "8"}, {}, None))
    assert openai.backend == "openai" and openai.max_in_flight == 8
    langchain = build_teacher(resolve_teacher_config({"backend": "openai", "client": "langchain"}, {}, None))
    assert type(langchain).__name__ == "LangChainTeacher"
    with pytest.raises(ConfigError, match="needs a model"):
        build_teacher(resolve_teacher_config({"backend": "vllm"}, {}, None))
