"""Reading `labgen.yaml`: one mapping per section (`teacher:`, `generate:`, ...), with the line of each key.

Each section's own keys are validated by the code that owns the section (the teacher's in
labgen.teachers.config); this module only checks the file's shape and knows where each key is, so
errors can name file and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labgen.errors import ConfigError

CONFIG_FILENAME = "labgen.yaml"
MAX_CONFIG_BYTES = 1_000_000
# Sections a labgen.yaml may hold. Add a name here when a command starts reading its own section.
KNOWN_SECTIONS = ("teacher", "generate", "critique", "dedup", "mix", "validate", "report", "diff")


@dataclass(frozen=True)
class ConfigFile:
    """A parsed labgen.yaml (or none: `path` None and no sections)."""

    path: Path | None = None
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    key_lines: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def section(self, name: str) -> Mapping[str, Any]:
        return self.sections.get(name, {})

    def line_of(self, section: str, key: str | None = None) -> int | None:
        return self.key_lines.get((section, key or ""))

    def error(self, section: str, key: str | None, message: str, hint: str | None = None) -> ConfigError:
        """A ConfigError pointing at `section.key` in this file."""
        where = f"{section}.{key}" if key else section
        return ConfigError(f"{where}: {message}", path=self.path, line=self.line_of(section, key), hint=hint)


def find_config_file(explicit: str | Path | None = None, cwd: str | Path | None = None) -> Path | None:
    """`--config FILE` when given (it must exist), else ./labgen.yaml when present, else None."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError("config file not found", path=path,
                              hint="check the --config path, or drop it to use ./labgen.yaml")
        return path
    candidate = Path(cwd or Path.cwd()) / CONFIG_FILENAME
    return candidate if candidate.is_file() else None


def load_config(path: str | Path | None) -> ConfigFile:
    """Parse and shape-check a labgen.yaml. None gives an empty config."""
    import yaml

    if path is None:
        return ConfigFile()
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file ({exc.strerror})", path=path) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file is larger than {MAX_CONFIG_BYTES} bytes", path=path,
                          hint="a labgen.yaml holds a few settings; check you named the right file")
    try:
        text = raw.decode("utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except UnicodeDecodeError:
        raise ConfigError("config file is not UTF-8 text", path=path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", path=path,
                          line=mark.line + 1 if mark else None, hint="fix the YAML syntax") from None
    if root is None:
        return ConfigFile(path=path)
    if _has_alias(root):
        raise ConfigError("YAML anchors and aliases are not allowed in labgen.yaml", path=path,
                          hint="write each value out")
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError("the top level must be a mapping of sections (teacher:, generate:, ...)",
                          path=path, line=root.start_mark.line + 1)
    sections: dict[str, dict[str, Any]] = {}
    lines: dict[tuple[str, str], int] = {}
    for key_node, value_node in root.value:
        name = key_node.value
        line = key_node.start_mark.line + 1
        if name not in KNOWN_SECTIONS:
            raise ConfigError(f"unknown section '{name}'", path=path, line=line,
                              hint=f"known sections: {', '.join(KNOWN_SECTIONS)}")
        if name in sections:
            raise ConfigError(f"section '{name}' appears twice", path=path, line=line)
        lines[(name, "")] = line
        if isinstance(value_node, yaml.ScalarNode) and value_node.value in ("", "~", "null"):
            sections[name] = {}
            continue
        if not isinstance(value_node, yaml.MappingNode):
            raise ConfigError(f"section '{name}' must be a mapping of settings", path=path, line=line)
        section: dict[str, Any] = {}
        for sub_key, sub_value in value_node.value:
            key = str(sub_key.value)
            if key in section:
                raise ConfigError(f"{name}.{key} appears twice", path=path, line=sub_key.start_mark.line + 1)
            lines[(name, key)] = sub_key.start_mark.line + 1
            section[key] = yaml.SafeLoader("").construct_object(sub_value, deep=True)
        sections[name] = section
    return ConfigFile(path=path, sections=sections, key_lines=lines)


def _has_alias(node: Any) -> bool:
    """True when a node is reachable twice (how an alias looks after composing): no alias bombs."""
    import yaml

    stack = [node]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            return True
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend((key, value))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return False
