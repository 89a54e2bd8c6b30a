"""Reading lists, contexts, question-answer pairs and answers out of real teacher output.

Teachers wrap what was asked for in preambles ("Sure! Here are..."), numbering, bullets, markdown,
`Answer:` prefixes, quotes and trailing "Confidence: 90%" lines, and cut the last item short when they hit
max_tokens. Every parser returns what it could read plus what it could not (with a reason), so a failure
becomes a reject that keeps the raw output, never a crash and never a silent drop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "1.", "1)", "(1)", "#1", "**1.**", "Instruction 1:", "Question 3 -", "- ", "* ", "• "
_NUMBERED = re.compile(
    r"^\s*(?:[*_#>]+\s*)?(?:(?:instruction|question|task|item|prompt|example)\s*)?[#(\[]?\s*(\d{1,3})\s*[.):\]\-]"
    r"(?:[*_]+)?\s+(?=\S)|^\s*(?:[*_#>]+\s*)?(?:instruction|question|task|item|prompt)\s+(\d{1,3})\s*[*_]*\s*$",
    re.IGNORECASE)
_BULLET = re.compile(r"^\s*[-*•+]\s+(?=\S)")
_CONFIDENCE = re.compile(r"\(?\s*\**\s*confidence(?:\s+level)?\s*\**\s*[:=\-]?\s*\**\s*\d{1,3}(?:\.\d+)?\s*%?\s*\)?\s*\**\s*$",
                         re.IGNORECASE)
_PREAMBLE = re.compile(
    r"^\s*(?:sure|certainly|of course|absolutely|okay|ok|great|here(?:'s| is| are)|below (?:is|are)|i(?:'ve| have) "
    r"(?:written|created|generated)|as requested)\b.*$", re.IGNORECASE)
_ANSWER_PREFIX = re.compile(r"^\s*[*_#]*\s*(?:answer|response|output|assistant|a)\s*[*_]*\s*[:：]\s*[*_]*\s*",
                            re.IGNORECASE)
_QUESTION_LABEL = re.compile(
    r"^\s*(?:[*_#>]+\s*)?(?:\d{1,3}\s*[.)]\s*)?(?:\[\s*(?:question|q)\s*\d{0,3}\s*\]\s*[:.)\-]?"
    r"|(?:question|q)\s*\d{0,3}\s*[*_]*\s*[:.)\-])[*_]*\s*",
    re.IGNORECASE)
_ANSWER_LABEL = re.compile(
    r"^\s*(?:[*_#>]+\s*)?(?:\[\s*(?:answer|a|response)\s*\d{0,3}\s*\]\s*[:.)\-]?"
    r"|(?:answer|a|response)\s*\d{0,3}\s*[*_]*\s*[:.)\-])[*_]*\s*",
    re.IGNORECASE)
_CONTEXT_HEADER = re.compile(
    r"^\s*(?:[*_#>]+\s*)?(?:\[\s*)?(?:new\s+)?(?:context|passage|document|text)\s*#?\s*(\d{1,3})?\s*(?:\]\s*)?[*_]*\s*[:.\-]?\s*[*_]*\s*",
    re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*(?:-{3,}|\*{3,}|={3,}|_{3,})\s*$")
_QUOTES = (('"', '"'), ("“", "”"), ("'", "'"), ("«", "»"), ("`", "`"))

TRUNCATED = "truncated at max_tokens"


@dataclass(frozen=True)
class Unparsed:
    """A piece of output the parser could not use, and why."""

    text: str
    reason: str


@dataclass(frozen=True)
class ParsedItems:
    items: tuple[str, ...]
    unparsed: tuple[Unparsed, ...] = ()


@dataclass(frozen=True)
class ParsedPair:
    question: str
    answer: str


@dataclass(frozen=True)
class ParsedPairs:
    pairs: tuple[ParsedPair, ...]
    unparsed: tuple[Unparsed, ...] = ()


def strip_quotes(text: str) -> str:
    """Remove one pair of quotes (or emphasis) wrapped around the whole text."""
    text = text.strip()
    changed = True
    while changed and len(text) >= 2:
        changed = False
        for left, right in _QUOTES + (("**", "**"),):
            if text.startswith(left) and text.endswith(right) and len(text) > len(left) + len(right):
                inner = text[len(left):len(text) - len(right)]
                if left not in inner or left in ("**",):
                    text = inner.strip()
                    changed = True
    return text


def strip_confidence(text: str) -> str:
    """Drop a trailing "Confidence: 90%" that models append to answers."""
    lines = text.rstrip().splitlines()
    while lines and _CONFIDENCE.fullmatch(lines[-1].strip()):
        lines.pop()
    if lines:
        lines[-1] = _CONFIDENCE.sub("", lines[-1]).rstrip()
    return "\n".join(lines).strip()


def clean_item(text: str) -> str:
    """One item's text with markdown emphasis, quotes and confidence notes removed."""
    return strip_quotes(strip_confidence(text.strip()))


def _is_preamble(line: str) -> bool:
    stripped = line.strip()
    return bool(_PREAMBLE.match(stripped)) and (stripped.endswith(":") or stripped.endswith("!")
                                                 or len(stripped) < 80)


def parse_list(text: str, *, truncated: bool = False, expected: int | None = None) -> ParsedItems:
    """Items of a numbered or bulleted list; multi-line items are kept whole.

    With `truncated` (the teacher stopped at max_tokens) the last item is unusable and comes back as
    unparsed. Output with no list markers at all is read as one item per non-blank line, after any
    preamble. `expected` caps the number of items (extras become unparsed).
    """
    lines = (text or "").replace("\r\n", "\n").split("\n")
    items: list[list[str]] = []
    preamble: list[str] = []
    found_marker = False
    for line in lines:
        numbered = _NUMBERED.match(line)
        bullet = None if numbered else _BULLET.match(line)
        if numbered or bullet:
            found_marker = True
            rest = line[(numbered or bullet).end():]  # type: ignore[union-attr]
            items.append([rest])
        elif items and found_marker:
            items[-1].append(line)
        else:
            preamble.append(line)
    if not found_marker:
        body = [line for line in preamble if line.strip() and not _is_preamble(line)
                and not _SEPARATOR.match(line)]
        items = [[line] for line in body]
    return _finish_items(["\n".join(chunk) for chunk in items], truncated=truncated, expected=expected)


def _finish_items(raw_items: list[str], *, truncated: bool, expected: int | None) -> ParsedItems:
    unparsed: list[Unparsed] = []
    cleaned: list[str] = []
    for index, raw in enumerate(raw_items):
        # A trailing blank line or separator ends an item; text after a blank line that is not indented
        # is usually a closing remark ("I hope these help!").
        body = _trim_trailing_remark(raw)
        item = clean_item(body)
        if truncated and index == len(raw_items) - 1:
            unparsed.append(Unparsed(raw.strip(), TRUNCATED))
            continue
        if not item:
            unparsed.append(Unparsed(raw.strip(), "empty item"))
            continue
        if item in cleaned:
            unparsed.append(Unparsed(item, "repeated item"))
            continue
        cleaned.append(item)
    if expected is not None and len(cleaned) > expected:
        unparsed.extend(Unparsed(extra, "more items than asked for") for extra in cleaned[expected:])
        cleaned = cleaned[:expected]
    return ParsedItems(tuple(cleaned), tuple(unparsed))


def _trim_trailing_remark(raw: str) -> str:
    parts = re.split(r"\n\s*\n", raw.strip())
    kept = [parts[0]]
    for part in parts[1:]:
        if _SEPARATOR.match(part) or _is_preamble(part.splitlines()[0]) or _is_closing_remark(part):
            break
        kept.append(part)
    return "\n\n".join(kept)


def _is_closing_remark(text: str) -> bool:
    return bool(re.match(r"^\s*(?:i hope|let me know|these (?:instructions|questions)|note:|feel free)",
                         text, re.IGNORECASE))


def parse_contexts(text: str, *, truncated: bool = False, expected: int | None = None) -> ParsedItems:
    """Contexts headed "Context 1:" (or separated by ---); without headers, the whole text is one context."""
    lines = (text or "").replace("\r\n", "\n").split("\n")
    blocks: list[list[str]] = []
    headed = any(_is_context_header(line) for line in lines)
    separated = any(_SEPARATOR.match(line) for line in lines)
    current: list[str] | None = None
    for line in lines:
        if headed and _is_context_header(line):
            current = [line[_CONTEXT_HEADER.match(line).end():]]  # type: ignore[union-attr]
            blocks.append(current)
        elif not headed and separated and _SEPARATOR.match(line):
            current = []
            blocks.append(current)
        elif current is not None:
            if headed and _SEPARATOR.match(line):
                continue
            current.append(line)
        elif not headed:
            current = [line]
            blocks.append(current)
    texts = []
    for block in blocks:
        body = "\n".join(block).strip()
        body_lines = body.split("\n")
        if body_lines and _is_preamble(body_lines[0]) and len(body_lines) > 1:
            body = "\n".join(body_lines[1:]).strip()
        texts.append(body)
    unparsed: list[Unparsed] = []
    cleaned: list[str] = []
    for index, body in enumerate(texts):
        item = strip_quotes(strip_confidence(body))
        if truncated and index == len(texts) - 1:
            unparsed.append(Unparsed(body, TRUNCATED))
        elif not item:
            if body:
                unparsed.append(Unparsed(body, "empty context"))
        elif item in cleaned:
            unparsed.append(Unparsed(item, "repeated item"))
        else:
            cleaned.append(item)
    if expected is not None and len(cleaned) > expected:
        unparsed.extend(Unparsed(extra, "more items than asked for") for extra in cleaned[expected:])
        cleaned = cleaned[:expected]
    return ParsedItems(tuple(cleaned), tuple(unparsed))


def _is_context_header(line: str) -> bool:
    match = _CONTEXT_HEADER.match(line)
    if match is None:
        return False
    rest = line[match.end():].strip()
    # A header is the label on a line of its own, or "Context 2: <text>" with a number.
    return not rest or match.group(1) is not None


def parse_qa_pairs(text: str, *, truncated: bool = False, expected: int | None = None) -> ParsedPairs:
    """Question-answer pairs written as "Question: ... / Answer: ..." (or Q:/A:, numbered, bold, [Question])."""
    lines = (text or "").replace("\r\n", "\n").split("\n")
    pairs: list[dict[str, list[str]]] = []
    field_name: str | None = None
    for line in lines:
        question = _QUESTION_LABEL.match(line)
        answer = None if question else _ANSWER_LABEL.match(line)
        if question:
            pairs.append({"question": [line[question.end():]], "answer": []})
            field_name = "question"
        elif answer and pairs and not pairs[-1]["answer"]:
            pairs[-1]["answer"].append(line[answer.end():])
            field_name = "answer"
        elif pairs and field_name is not None:
            if re.match(r"^\s*\[?end\]?\s*$", line, re.IGNORECASE):
                field_name = None
                continue
            pairs[-1][field_name].append(line)
    unparsed: list[Unparsed] = []
    result: list[ParsedPair] = []
    for index, pair in enumerate(pairs):
        question = clean_item(_trim_trailing_remark("\n".join(pair["question"])))
        answer_text = "\n".join(pair["answer"]).strip()
        answer = clean_item(_trim_trailing_remark(answer_text)) if answer_text else ""
        raw = f"Question: {question}\nAnswer: {answer_text}".strip()
        if truncated and index == len(pairs) - 1:
            unparsed.append(Unparsed(raw, TRUNCATED))
        elif not question:
            unparsed.append(Unparsed(raw, "empty question"))
        elif not answer:
            unparsed.append(Unparsed(raw, "question without an answer"))
        elif any(p.question == question for p in result):
            unparsed.append(Unparsed(raw, "repeated item"))
        else:
            result.append(ParsedPair(question, answer))
    if not pairs and (text or "").strip():
        unparsed.append(Unparsed(text.strip(), "no Question:/Answer: pairs found"))
    if expected is not None and len(result) > expected:
        unparsed.extend(Unparsed(f"Question: {p.question}\nAnswer: {p.answer}", "more items than asked for")
                        for p in result[expected:])
        result = result[:expected]
    return ParsedPairs(tuple(result), tuple(unparsed))


def parse_answer(text: str) -> str:
    """The answer itself: without a "Sure, here is..." line, a "Response:" prefix, quotes or confidence."""
    body = (text or "").replace("\r\n", "\n").strip()
    lines = body.split("\n")
    if len(lines) > 1 and _is_preamble(lines[0]) and lines[0].rstrip().endswith(":"):
        body = "\n".join(lines[1:]).strip()
    body = _ANSWER_PREFIX.sub("", body, count=1)
    return strip_quotes(strip_confidence(body)).strip()
