"""Safe YAML to plain Python values, keeping the line and column of every key and list item.

libyaml (PyYAML's C parser) turns the text into events; this module builds dicts, lists and scalars
from them iteratively, so deep nesting cannot overflow the C stack, duplicate keys are caught (PyYAML
keeps the last one silently), non-string keys are refused, and alias expansion is budgeted so a
"billion laughs" file stops early instead of eating the machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
import yaml.constructor
import yaml.resolver

try:
    from yaml._yaml import CParser as _EventParser  # libyaml: events only, no Python constructor
except ImportError:  # pragma: no cover - PyYAML built without libyaml (about 10x slower)
    from yaml import SafeLoader as _EventParser  # type: ignore[assignment]

YamlPath = tuple[str | int, ...]
Position = tuple[int, int]  # (line, col), both 1-based

MAX_DEPTH = 64
MAX_ALIAS_NODES = 100_000

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = frozenset({
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp", _STR,
})


class YamlTreeError(Exception):
    """The text is not acceptable YAML for a qna.yaml; carries a 1-based line and column."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


@dataclass
class _Frame:
    """A mapping or sequence being built."""

    value: dict[str, Any] | list[Any]
    path: YamlPath
    anchor: str | None
    nodes: int = 1
    pending_key: Any = None  # mapping: the key waiting for its value (_NO_KEY when none)
    merges: list[dict[str, Any]] | None = None


_NO_KEY = object()  # a mapping waiting for its next key
_MERGE_KEY = object()  # a mapping whose pending key is the merge key '<<'


_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers


def _resolve_plain(value: str) -> str:
    """The tag YAML 1.1 gives an untagged plain scalar (what SafeLoader's resolver does, inlined)."""
    candidates = _IMPLICIT.get(value[0] if value else "", ())
    for tag, pattern in candidates:
        if pattern.match(value):
            return str(tag)
    for tag, pattern in _IMPLICIT.get(None, ()):  # type: ignore[call-overload]
        if pattern.match(value):
            return str(tag)
    return _STR


def _position(mark: Any) -> Position:
    return (mark.line + 1, mark.column + 1)


class _Builder:
    """Consumes parser events and produces the document's value and its positions."""

    def __init__(self) -> None:
        self.positions: dict[YamlPath, Position] = {(): (1, 1)}
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.alias_nodes = 0
        self.stack: list[_Frame] = []
        self.root: Any = None
        self.documents = 0
        self.constructor = yaml.constructor.SafeConstructor()

    # -- placing a finished value into its parent ------------------------------------------------
    def _child_path(self, mark: Any) -> YamlPath | None:
        """The path the next value will have; None when it is a mapping key."""
        if not self.stack:
            return ()
        frame = self.stack[-1]
        if isinstance(frame.value, list):
            path = (*frame.path, len(frame.value))
            self.positions[path] = _position(mark)
            return path
        if frame.pending_key is _NO_KEY:
            return None
        if frame.pending_key is _MERGE_KEY:
            return (*frame.path, "<<")
        return (*frame.path, frame.pending_key)

    def _place(self, value: Any, nodes: int, mark: Any) -> None:
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        frame.nodes += nodes
        if isinstance(frame.value, list):
            frame.value.append(value)
            return
        if frame.pending_key is _NO_KEY:
            self._set_key(frame, value, mark)
            return
        key = frame.pending_key
        frame.pending_key = _NO_KEY
        if key is _MERGE_KEY:
            self._merge(frame, value, mark)
            return
        frame.value[key] = value  # type: ignore[index]

    def _set_key(self, frame: _Frame, key: Any, mark: Any, source: str | None = None) -> None:
        line, col = _position(mark)
        if not isinstance(key, str):
            text = source if source is not None else str(key)
            raise YamlTreeError(f"key '{text}' is read as {type(key).__name__}, not text; keys must be strings: "
                                f"quote it ('{text}':) or rename it", line, col)
        assert isinstance(frame.value, dict)
        if key in frame.value:  # merged keys are applied at the mapping's end, so only real keys collide
            first = self.positions.get((*frame.path, key), (None, None))[0]
            raise YamlTreeError(f"duplicate key '{key}' (first at line {first}); keep only one", line, col)
        frame.pending_key = key
        self.positions[(*frame.path, key)] = (line, col)

    def _merge(self, frame: _Frame, value: Any, mark: Any) -> None:
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(source, dict) for source in sources):
            line, col = _position(mark)
            raise YamlTreeError("a merge key '<<' needs a mapping or a list of mappings", line, col)
        frame.merges = (frame.merges or []) + list(sources)

    # -- events ---------------------------------------------------------------------------------
    def scalar(self, event: Any) -> None:
        tag = event.tag
        if tag is None or tag == "!":  # quoted and block scalars are text; plain ones are resolved
            tag = _STR if event.style or tag == "!" else _resolve_plain(event.value)
        stack = self.stack
        frame = stack[-1] if stack else None
        if frame is not None and frame.pending_key is _NO_KEY and type(frame.value) is dict:
            if tag == _MERGE:
                frame.pending_key = _MERGE_KEY
                return
            key = event.value if tag == _STR else self._construct_scalar(tag, event)
            if event.anchor:
                self.anchors[event.anchor] = (key, 1)
            frame.nodes += 1
            self._set_key(frame, key, event.start_mark, event.value)
            return
        value = event.value if tag == _STR else self._construct_scalar(tag, event)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        if frame is None:
            self.root = value
            return
        frame.nodes += 1
        container = frame.value
        if type(container) is list:
            mark = event.start_mark
            self.positions[(*frame.path, len(container))] = (mark.line + 1, mark.column + 1)
            container.append(value)
            return
        key = frame.pending_key
        frame.pending_key = _NO_KEY
        if key is _MERGE_KEY:
            self._merge(frame, value, event.start_mark)
            return
        container[key] = value  # type: ignore[index]

    def _construct_scalar(self, tag: str, event: Any) -> Any:
        if tag == _STR:
            return event.value
        if tag not in _SCALAR_TAGS:
            line, col = _position(event.start_mark)
            raise YamlTreeError(f"unsupported YAML tag {tag}; remove the tag", line, col)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.constructor.yaml_constructors[tag](self.constructor, node)
        except (yaml.YAMLError, ValueError, OverflowError) as error:
            line, col = _position(event.start_mark)
            raise YamlTreeError(f"cannot read value {event.value!r} as {tag.rsplit(':', 1)[-1]}: {error}; "
                                "quote it to keep it as text", line, col) from None

    def start(self, event: Any, container: dict[str, Any] | list[Any]) -> None:
        stack = self.stack
        if len(stack) >= MAX_DEPTH:
            raise YamlTreeError(f"nesting deeper than {MAX_DEPTH} levels; a qna.yaml is a few levels deep",
                                *_position(event.start_mark))
        tag = event.tag
        if tag is not None and tag != "!" and tag != (_MAP if type(container) is dict else _SEQ):
            raise YamlTreeError(f"unsupported YAML tag {tag}; remove the tag", *_position(event.start_mark))
        if stack:
            frame = stack[-1]
            parent = frame.value
            if type(parent) is list:
                path: YamlPath = (*frame.path, len(parent))
                self.positions[path] = _position(event.start_mark)
            elif frame.pending_key is _NO_KEY:
                raise YamlTreeError("a mapping or list used as a key; keys must be plain strings",
                                    *_position(event.start_mark))
            else:
                path = (*frame.path, "<<" if frame.pending_key is _MERGE_KEY else frame.pending_key)
        else:
            path = ()
        if event.anchor:
            self.open_anchors.add(event.anchor)
        stack.append(_Frame(container, path, event.anchor, pending_key=_NO_KEY))

    def end(self, event: Any) -> None:
        frame = self.stack.pop()
        if frame.merges and isinstance(frame.value, dict):
            merged: dict[str, Any] = {}
            for source in frame.merges:
                for key, value in source.items():
                    merged.setdefault(key, value)
            merged.update(frame.value)
            frame.value = merged
        if frame.anchor:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = (frame.value, frame.nodes)
        self._place(frame.value, frame.nodes, event.start_mark)

    def alias(self, event: Any) -> None:
        line, col = _position(event.start_mark)
        if event.anchor in self.open_anchors:
            raise YamlTreeError(f"alias *{event.anchor} refers to its own anchor (a recursive structure); "
                                "write the value out instead", line, col)
        if event.anchor not in self.anchors:
            raise YamlTreeError(f"alias *{event.anchor} has no anchor &{event.anchor} before it", line, col)
        value, nodes = self.anchors[event.anchor]
        self.alias_nodes += nodes
        if self.alias_nodes > MAX_ALIAS_NODES:
            raise YamlTreeError(f"aliases expand to more than {MAX_ALIAS_NODES} values (an alias bomb?); "
                                "write the values out instead of nesting aliases", line, col)
        is_key = bool(self.stack) and isinstance(self.stack[-1].value, dict) \
            and self.stack[-1].pending_key is _NO_KEY
        if is_key and isinstance(value, (dict, list)):
            raise YamlTreeError("a mapping or list used as a key; keys must be plain strings", line, col)
        path = self._child_path(event.start_mark)
        if path is not None and not is_key:
            self.positions.setdefault(path, (line, col))
        self._place(value, nodes, event.start_mark)


def parse_yaml(text: str) -> tuple[Any, dict[YamlPath, Position]]:
    """Parse one YAML document; return its plain value (None for an empty document) and key positions."""
    builder = _Builder()
    loader = _EventParser(text)
    try:
        while True:
            event = loader.get_event()
            if event is None:
                break
            kind = type(event)
            if kind is yaml.ScalarEvent:
                builder.scalar(event)
            elif kind is yaml.MappingStartEvent:
                builder.start(event, {})
            elif kind is yaml.SequenceStartEvent:
                builder.start(event, [])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                builder.end(event)
            elif kind is yaml.AliasEvent:
                builder.alias(event)
            elif kind is yaml.DocumentStartEvent:
                builder.documents += 1
                if builder.documents > 1:
                    line, col = _position(event.start_mark)
                    raise YamlTreeError("a second YAML document ('---'); a qna.yaml holds exactly one",
                                        line, col)
    finally:
        loader.dispose()
    return builder.root, builder.positions
