"""Reading question-answer rows from anywhere: plain {context?, question, answer} rows, labgen samples,
and chat `messages` rows (the last user turn is the question, the assistant turn after it the answer)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labgen.errors import LabgenError


@dataclass(frozen=True)
class QaFields:
    question: str
    answer: str
    context: str | None
    task_description: str


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    raise TypeError(type(value).__name__)


def qa_fields(row: dict[str, Any], *, path: str | Path, line: int) -> QaFields:
    """The question, answer and context of one row; a LabgenError naming file:line when it has none."""
    try:
        question, answer = _text(row.get("question")), _text(row.get("answer"))
        context = _text(row.get("context"))
        task = _text(row.get("task_description")) or ""
    except TypeError as exc:
        raise LabgenError(f"question, answer, context and task_description must be strings, found {exc}",
                          path=path, line=line) from None
    if (question is None or answer is None) and isinstance(row.get("messages"), list):
        question, answer = _from_messages(row["messages"], path=path, line=line)
    if question is None or answer is None:
        raise LabgenError("row has no question and answer", path=path, line=line,
                          hint='give "question" and "answer" (and optionally "context"), or chat "messages" '
                               "with a user and an assistant turn")
    return QaFields(question=question, answer=answer, context=context if context and context.strip() else None,
                    task_description=task)


def _from_messages(messages: list[Any], *, path: str | Path, line: int) -> tuple[str | None, str | None]:
    question = answer = None
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            raise LabgenError("each message needs a role and a string content", path=path, line=line)
        if message.get("role") == "user":
            question, answer = message["content"], None
        elif message.get("role") == "assistant" and question is not None and answer is None:
            answer = message["content"]
    return question, answer
