"""get_template serves templates from memory and notices a changed file within RECHECK_S, with one stat."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labgen import prompts
from labgen.errors import ConfigError

TEMPLATE = """id: greet
description: test
variables: [name]
messages:
  - role: user
    content: "{greeting}, {{{{ name }}}}"
"""


def write(folder: Path, greeting: str, mtime_ns: int) -> None:
    path = folder / "greet.yaml"
    path.write_text(TEMPLATE.format(greeting=greeting), encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_a_changed_file_is_read_again_and_looked_at_most_once_a_second(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "Hello", 1_000_000_000)
    looks: list[Path] = []
    real_stamp = prompts._file_stamp
    monkeypatch.setattr(prompts, "_file_stamp", lambda path: looks.append(path) or real_stamp(path))
    first = prompts.get_template("greet", tmp_path)
    assert first.render(name="Ada")[0]["content"] == "Hello, Ada"
    for _ in range(100):
        assert prompts.get_template("greet", tmp_path) is first
    assert len(looks) == 1  # within RECHECK_S nothing touches the disk

    write(tmp_path, "Goodbye", 2_000_000_000)
    monkeypatch.setattr(prompts, "RECHECK_S", 0.0)
    second = prompts.get_template("greet", tmp_path)
    assert second.render(name="Ada")[0]["content"] == "Goodbye, Ada" and second.sha256 != first.sha256
    assert prompts.get_template("greet", tmp_path) is second  # unchanged since: not read again

    (tmp_path / "greet.yaml").unlink()
    with pytest.raises(ConfigError, match="no prompt template named 'greet'"):
        prompts.get_template("greet", tmp_path)


def test_shipped_templates_are_the_same_object_each_time() -> None:
    assert prompts.get_template("judge_pair") is prompts.get_template("judge_pair")


def test_rendering_from_the_cache_gives_what_jinja_renders() -> None:
    """Compiled sources render with their globals merged once and literal messages rendered once: the
    text is Jinja's own Template.render's, for every shipped template and for globals, loops and filters."""
    sources = ["plain text,\n  kept as written\n", "{{ name }}: {{ range(3)|list }} {{ items|join(', ') }}",
               "{% for item in items %}\n- {{ item|upper }}\n{% endfor %}\n{# a comment #}done"]
    sources += [source for template_id in prompts.all_template_ids()
                for _, source in prompts.get_template(template_id).messages]
    values = {"name": "x", "items": ["a", "b"], "task_description": "Sort", "count": 3, "focus": "",
              "seed_examples": [{"id": "1", "question": "Q?", "answer": "A.", "context": "C"}], "instruction": "I",
              "question": "Q?", "answer": "A.", "context": "C", "chunk": "text", "document_outline": "O",
              "domain": "D", "seed_context": "S", "seed_qna": [{"question": "Q?", "answer": "A."}]}
    for source in sources:
        for sandboxed in (False, True):
            expected = prompts.environment(sandboxed).from_string(source).render(**values)
            for _ in range(2):  # first compiled, then from the cache
                assert prompts._compiled(source, sandboxed).render(values) == expected


def test_shipped_templates_render_plain_and_a_user_folder_in_the_sandbox(tmp_path: Path) -> None:
    """The shipped templates are labgen's own (a plain environment, fast); a folder the user supplies is
    rendered in Jinja's sandbox, where reaching into Python's internals is refused with a clear error."""
    assert prompts.get_template("judge_pair").sandboxed is False
    (tmp_path / "probe.yaml").write_text(
        "id: probe\nvariables: [name]\nmessages:\n  - role: user\n    content: \"{{ name.__class__.__mro__ }}\"\n")
    user = prompts.get_template("probe", tmp_path)
    assert user.sandboxed is True
    with pytest.raises(ConfigError, match="failed to render.*unsafe"):
        user.render(name="x")
    plain = prompts.load_template_file(tmp_path / "probe.yaml", sandboxed=False)
    assert "object" in plain.render(name="x")[0]["content"]


def test_rendering_with_missing_or_unexpected_variables_is_an_error_naming_them() -> None:
    template = prompts.get_template("judge_instruction")  # task_description, seed_examples, question
    with pytest.raises(ConfigError, match=r"missing \['question'\], unexpected \['answer'\]"):
        template.render(task_description="Sort", seed_examples=[], answer="A.")
    assert template.render(task_description="Sort", seed_examples=[], question="Q?")[-1]["content"].endswith("Q?")
