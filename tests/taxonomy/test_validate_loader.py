"""Loading one qna.yaml: broken, hostile and odd inputs each get a clear message, never a traceback."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labgen.taxonomy import yaml_tree
from labgen.taxonomy.loader import LoadedQna, QnaLoadError, load_qna, parse_qna_text
from labgen.taxonomy.yaml_tree import YamlTreeError, parse_yaml


def _load_text(tmp_path: Path, text: str | bytes, **kwargs: object) -> LoadedQna:
    file = tmp_path / "qna.yaml"
    file.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return load_qna(file, **kwargs)  # type: ignore[arg-type]


def _error(tmp_path: Path, text: str | bytes) -> QnaLoadError:
    with pytest.raises(QnaLoadError) as caught:
        _load_text(tmp_path, text)
    return caught.value


def test_values_and_positions_of_keys_and_items(tmp_path: Path) -> None:
    loaded = _load_text(tmp_path, "version: 3\nseed_examples:\n  - question: q1\n    answer: a1\n"
                                  "  - question: 'q2'\n    answer: |\n      two\n")
    assert loaded.data == {"version": 3, "seed_examples": [{"question": "q1", "answer": "a1"},
                                                           {"question": "q2", "answer": "two\n"}]}
    assert loaded.position(("version",)) == (1, 1)
    assert loaded.position(("seed_examples", 1)) == (5, 5)
    assert loaded.position(("seed_examples", 1, "answer")) == (6, 5)
    # a missing key falls back to its nearest existing ancestor
    assert loaded.position(("seed_examples", 1, "context")) == (5, 5)


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    error = _error(tmp_path, "version: 3\ncreated_by: [alice\ntask_description: x\n")
    assert "YAML syntax error" in error.message
    assert error.line == 3 and error.col is not None


def test_tab_indentation_gets_its_own_message(tmp_path: Path) -> None:
    error = _error(tmp_path, "version: 3\nseed_examples:\n\t- question: x\n")
    assert "tab" in error.message and error.line == 3
    assert "spaces" in (error.hint or "")


def test_tabs_inside_text_are_fine(tmp_path: Path) -> None:
    loaded = _load_text(tmp_path, "answer: |\n  col1\tcol2\nq: \"a\\tb\"\n")
    assert loaded.data["answer"] == "col1\tcol2\n"


def test_duplicate_key_is_reported_at_the_second_one(tmp_path: Path) -> None:
    error = _error(tmp_path, "version: 3\ncreated_by: a\nseed_examples: []\ncreated_by: b\n")
    assert "duplicate key 'created_by'" in error.message and "line 2" in error.message
    assert error.line == 4


def test_duplicate_key_inside_a_seed_example(tmp_path: Path) -> None:
    error = _error(tmp_path, "seed_examples:\n  - question: a\n    answer: b\n    question: c\n")
    assert "duplicate key 'question'" in error.message and error.line == 4


def test_non_utf8_bytes_give_the_line(tmp_path: Path) -> None:
    error = _error(tmp_path, b"version: 3\ncreated_by: caf\xe9\n")
    assert "UTF-8" in error.message and "0xe9 at offset 26" in error.message
    assert (error.line, error.col) == (2, 16)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "binary" in error.message and error.line == 3  # the NUL follows two line ends


def test_utf16_file_is_refused_as_binary(tmp_path: Path) -> None:
    error = _error(tmp_path, "version: 3\n".encode("utf-16"))
    assert "binary" in error.message and "UTF-16" in (error.hint or "")


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    assert _load_text(tmp_path, "\ufeffversion: 3\n").data == {"version": 3}


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n", "---\n...\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    assert "empty" in _error(tmp_path, text).message


@pytest.mark.parametrize(("text", "what"), [("- a\n- b\n", "a list"), ("just text\n", "a single str"),
                                             ("42\n", "a single int")])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, what: str) -> None:
    error = _error(tmp_path, text)
    assert what in error.message and "mapping" in error.message


@pytest.mark.parametrize(("text", "shown"), [("1: a\n", "'1'"), ("yes: a\n", "'yes'"), ("~: a\n", "'~'")])
def test_non_string_keys_are_refused(tmp_path: Path, text: str, shown: str) -> None:
    error = _error(tmp_path, text)
    assert shown in error.message and "quote it" in error.message and error.line == 1


def test_a_list_used_as_key_is_refused(tmp_path: Path) -> None:
    assert "used as a key" in _error(tmp_path, "? [a, b]\n: c\n").message


def test_billion_laughs_stops_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    started = time.perf_counter()
    error = _error(tmp_path, "\n".join(lines) + "\n")
    assert time.perf_counter() - started < 2.0
    assert "alias bomb" in error.message and error.line is not None


def test_ordinary_aliases_and_merge_keys_are_legal(tmp_path: Path) -> None:
    loaded = _load_text(tmp_path, "base: &b {answer: shared}\nfirst: *b\nsecond:\n  <<: *b\n  question: q\n")
    assert loaded.data["first"] == {"answer": "shared"}
    assert loaded.data["second"] == {"answer": "shared", "question": "q"}


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    assert "recursive" in _error(tmp_path, "a: &x [1, *x]\n").message


def test_undefined_alias_is_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, "a: *nowhere\n")
    assert "nowhere" in error.message


def test_nesting_past_labgens_depth_limit_is_refused_with_labgens_message(tmp_path: Path) -> None:
    error = _error(tmp_path, "a: " + "[" * 100 + "]" * 100 + "\n")
    assert "nesting deeper than 64 levels" in error.message and error.line == 1


def test_very_deep_nesting_is_refused_without_crashing(tmp_path: Path) -> None:
    # libyaml's own composer recurses in C and crashes on this; the event builder must not. Which layer
    # refuses it first (labgen's depth limit or the YAML scanner) depends on the PyYAML release, so only
    # labgen's part of the message is checked: a located error with labgen's hint, not a crash.
    error = _error(tmp_path, "a: " + "[" * 200_000 + "]" * 200_000 + "\n")
    assert error.line == 1
    assert "nesting deeper than 64 levels" in error.message or (
        error.message.startswith("YAML syntax error: ") and "check the indentation" in str(error))


def test_second_document_is_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, "a: 1\n---\nb: 2\n")
    assert "second YAML document" in error.message and error.line == 2


def test_python_tags_are_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, "a: !!python/object/apply:os.system ['true']\n")
    assert "unsupported YAML tag" in error.message


def test_control_characters_are_refused_with_a_line(tmp_path: Path) -> None:
    error = _error(tmp_path, "a: 1\nb: x\x07y\n")
    assert error.line == 2


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    file = tmp_path / "qna.yaml"
    with open(file, "wb") as handle:  # sparse: 100 MB without writing them
        handle.truncate(100 * 1024 * 1024)
    started = time.perf_counter()
    with pytest.raises(QnaLoadError) as caught:
        load_qna(file)
    assert time.perf_counter() - started < 1.0
    assert "104,857,600 bytes" in caught.value.message and "1,048,576-byte limit" in caught.value.message


def test_size_cap_is_configurable(tmp_path: Path) -> None:
    with pytest.raises(QnaLoadError, match="100-byte limit"):
        _load_text(tmp_path, "a: " + "x" * 200 + "\n", max_bytes=100)
    assert _load_text(tmp_path, "a: b\n", max_bytes=100).data == {"a": "b"}


def test_fifo_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "qna.yaml"
    os.mkfifo(fifo)
    with pytest.raises(QnaLoadError, match="not a regular file"):
        load_qna(fifo)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(QnaLoadError, match="does not exist"):
        load_qna(tmp_path / "nope" / "qna.yaml")
    (tmp_path / "dir").mkdir()
    with pytest.raises(QnaLoadError, match="not a regular file"):
        load_qna(tmp_path / "dir")


def test_symlink_outside_the_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("version: 3\n", encoding="utf-8")
    root = tmp_path / "taxonomy"
    (root / "compositional_skills" / "x").mkdir(parents=True)
    link = root / "compositional_skills" / "x" / "qna.yaml"
    link.symlink_to(outside)
    with pytest.raises(QnaLoadError, match="outside the taxonomy root") as caught:
        load_qna(link, taxonomy_root=root)
    assert "copy the file" in (caught.value.hint or "")
    # a link that stays inside the root is fine
    inside = root / "compositional_skills" / "shared.yaml"
    inside.write_text("version: 3\n", encoding="utf-8")
    link.unlink()
    link.symlink_to(inside)
    assert load_qna(link, taxonomy_root=root).data == {"version": 3}


def test_the_c_parser_is_used_when_libyaml_is_present() -> None:
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML built without libyaml")
    assert yaml_tree._EventParser.__module__ == "yaml._yaml"


# -- fuzzing: nothing but QnaLoadError (or a mapping) ever comes out -------------------------------------------

_SAMPLE = ("version: 3\ncreated_by: alice\ntask_description: 'Haiku: short'\nseed_examples:\n"
           "  - question: |\n      Write a haiku\n    answer: \"Rain\\n falls\"\n  - &q {question: x, answer: y}\n"
           "  - *q\n")


def _parse_bytes(data: bytes) -> None:
    file = Path("qna.yaml")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        loaded = parse_qna_text(file, data, text)
    except QnaLoadError as error:
        assert error.message
        return
    assert isinstance(loaded.data, dict)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(data: bytes) -> None:
    _parse_bytes(data)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(_SAMPLE)), st.text(max_size=8))
def test_fuzz_truncated_and_spliced_yaml(cut: int, junk: str) -> None:
    _parse_bytes((_SAMPLE[:cut] + junk + _SAMPLE[cut:cut + 20]).encode("utf-8", "surrogatepass"))


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=20),
                     st.floats(allow_nan=False, allow_infinity=False, width=32))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(_values, st.booleans())
def test_values_match_yaml_safe_load(value: object, flow: bool) -> None:
    """The builder agrees with yaml.safe_load on everything safe_dump writes."""
    text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True)
    try:
        built, _ = parse_yaml(text)
    except YamlTreeError:
        pytest.fail(f"refused valid YAML {text!r}")
    assert built == yaml.safe_load(text)
