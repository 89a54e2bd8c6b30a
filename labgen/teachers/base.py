"""The teacher interface and its record types.

Callers build ChatRequests and either `await teacher.complete(request)` from many tasks (the teacher
bounds how many are in flight) or iterate `teacher.stream(requests)`, which yields Completions as they
finish, not in submission order. A request that fails after retries comes back as a Completion with
`error` set; only a teacher that cannot work at all raises TeacherError.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from labgen.hashing import canonical_json

Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": "..."}


@dataclass(frozen=True)
class OutputFormat:
    """A two-line answer the model must produce: `Reason: <one line>` then `<label>: <one of choices>`.

    Judges ask for it in their prompts; a backend that can constrain decoding (the embedded llama.cpp
    one, with a grammar) enforces it, so even a tiny teacher returns a verdict that parses. Mixtral
    follows the format from the prompt alone.
    """

    label: str
    choices: tuple[str, ...]
    reason_chars: int = 160

    def gbnf(self) -> str:
        """The format as a llama.cpp GBNF grammar."""
        choices = " | ".join('"' + c.replace('"', '\\"') + '"' for c in self.choices)
        return (f'root ::= "Reason: " reason "\\n{self.label}: " ({choices})\n'
                f"reason ::= [^\\n]{{1,{self.reason_chars}}}\n")

    def regex(self) -> str:
        """The format as a regular expression (for servers with regex-guided decoding)."""
        import re

        alternatives = "|".join(re.escape(c) for c in self.choices)
        return f"Reason: [^\\n]{{1,{self.reason_chars}}}\\n{re.escape(self.label)}: ({alternatives})"

    def describe(self) -> dict[str, Any]:
        return {"label": self.label, "choices": list(self.choices), "reason_chars": self.reason_chars}


@dataclass(frozen=True)
class ListFormat:
    """At most `count` items, as a generation prompt asks for them: a numbered list ("1. <item>", one
    line each) or, with `fields`, labelled blocks ("Question: ...\\nAnswer: ...", blank line between).

    The embedded backend enforces it with a grammar so a tiny teacher's items all parse and never run
    past the count asked; the prompt asks for the same format, which Mixtral follows unaided.
    """

    count: int
    fields: tuple[str, ...] = ()
    item_chars: int = 400

    def gbnf(self) -> str:
        """Items 1..k (k <= count) in order, each a non-blank line of at most item_chars characters."""
        if self.fields:
            block = ' "\\n" '.join(f'"{label}: " line' for label in self.fields)
            rules, joint, item = [f"block ::= {block}"], '"\\n\\n"', lambda n: "block"
        else:
            rules, joint, item = [], '"\\n"', lambda n: f'"{n}. " line'
        rules.append(f"root ::= {item(1)}" + (" rest2" if self.count > 1 else ""))
        for n in range(2, self.count + 1):
            tail = f" rest{n + 1}" if n < self.count else ""
            rules.append(f"rest{n} ::= ({joint} {item(n)}{tail})?")
        rules.append(f"line ::= [^\\n ] [^\\n]{{0,{self.item_chars - 1}}}")
        return "\n".join(rules) + "\n"

    def regex(self) -> str:
        import re

        line = f"[^\\n ][^\\n]{{0,{self.item_chars - 1}}}"
        if self.fields:
            block = "\\n".join(f"{re.escape(label)}: {line}" for label in self.fields)
            return f"{block}(\\n\\n{block}){{0,{self.count - 1}}}"
        return f"1\\. {line}" + "".join(f"(\\n{n}\\. {line}" for n in range(2, self.count + 1)) + \
            ")?" * (self.count - 1)

    def describe(self) -> dict[str, Any]:
        return {"list": self.count, "fields": list(self.fields), "item_chars": self.item_chars}


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 512
    stop: tuple[str, ...] = ()
    seed: int | None = None
    n: int = 1
    logprobs: bool = False
    top_logprobs: int = 0
    output_format: OutputFormat | ListFormat | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"temperature": self.temperature, "top_p": self.top_p,
                               "max_tokens": self.max_tokens, "stop": list(self.stop), "seed": self.seed,
                               "n": self.n, "logprobs": self.logprobs, "top_logprobs": self.top_logprobs}
        if self.output_format is not None:
            out["output_format"] = self.output_format.describe()
        return out


class kept:
    """functools.cached_property without its lock (Python 3.11 takes one at every read): the value is made on
    first read and put in the instance's __dict__, where later reads find it before this descriptor. For
    immutable instances read on the hot path of every request."""

    def __init__(self, make: Any) -> None:
        self.make = make
        self.__doc__ = make.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.make(instance)
        return value


_PARAMS_JSON: dict[tuple[Any, ...], tuple[str, str]] = {}  # params but the seed -> JSON before and after it


def params_json(params: SamplingParams) -> str:
    """canonical_json(params.as_dict()): every field, the output format's whole description included.

    A run has a few parameter sets that differ only in their seed, so each set's JSON is made once, cut
    where the seed goes ("seed" sorts after every key before it, nested ones included)."""
    key = (params.temperature, params.top_p, params.max_tokens, params.stop, params.n, params.logprobs,
           params.top_logprobs, params.output_format)
    parts = _PARAMS_JSON.get(key)
    if parts is None:
        if len(_PARAMS_JSON) >= 1024:
            _PARAMS_JSON.clear()
        before, found, after = canonical_json({**params.as_dict(), "seed": 0}).partition('"seed":0')
        assert found, "the seed field is missing from the parameters' JSON"
        parts = _PARAMS_JSON[key] = (before + '"seed":', after)
    seed = params.seed
    return f"{parts[0]}{str(seed) if type(seed) is int else canonical_json(seed)}{parts[1]}"


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[Message, ...]
    params: SamplingParams = SamplingParams()
    stage: str = "default"  # call site, for accounting
    tag: Any = None  # caller's handle to match the completion back; never sent to the model

    @kept
    def messages_json(self) -> str:
        """The messages in canonical JSON (labgen.hashing), encoded on first use and kept (the request is
        immutable): the answer store's key and an OpenAI request body are made of it."""
        return canonical_json(list(self.messages))

    @kept
    def canonical_json(self) -> str:
        """`"messages":...,"params":...` in canonical JSON: what the teacher sees, the body of the answer
        store's key."""
        return f'"messages":{self.messages_json},"params":{params_json(self.params)}'


@dataclass(frozen=True)
class TokenLogprob:
    token: str
    logprob: float
    top: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Choice:
    text: str
    finish_reason: str | None  # "stop", "length", ...
    logprobs: tuple[TokenLogprob, ...] | None = None


@dataclass(frozen=True)
class Completion:
    request: ChatRequest
    choices: tuple[Choice, ...] = ()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    retries: int = 0
    error: str | None = None  # set when the request failed after retries; choices is then empty
    model: str = ""
    error_kind: str | None = None  # "timeout", "connection", "rate_limited", "server_error", "malformed",
    # "context_length", "http_error" (see labgen.teachers.retry.Failure); None when ok

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.choices)

    @property
    def text(self) -> str:
        """The first choice's text ('' when the request failed)."""
        return self.choices[0].text if self.choices else ""

    @property
    def finish_reason(self) -> str | None:
        return self.choices[0].finish_reason if self.choices else None


@dataclass
class StageCounters:
    requests: int = 0
    retries: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0

    def add(self, other: StageCounters) -> None:
        self.requests += other.requests
        self.retries += other.retries
        self.failures += other.failures
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.latency_s += other.latency_s

    def as_dict(self) -> dict[str, Any]:
        return {"requests": self.requests, "retries": self.retries, "failures": self.failures,
                "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "latency_s": round(self.latency_s, 3),
                "mean_latency_s": round(self.latency_s / self.requests, 4) if self.requests else 0.0}


@dataclass
class Accounting:
    """Requests, retries, failures, tokens and latency per stage (call site) and in total."""

    stages: dict[str, StageCounters] = field(default_factory=dict)

    def record(self, completion: Completion) -> None:
        stage = completion.request.stage
        counters = self.stages.get(stage)
        if counters is None:  # not setdefault: that would make new counters at every request
            counters = self.stages[stage] = StageCounters()
        counters.requests += 1
        counters.retries += completion.retries
        counters.failures += 0 if completion.error is None else 1
        counters.prompt_tokens += completion.prompt_tokens
        counters.completion_tokens += completion.completion_tokens
        counters.latency_s += completion.latency_s

    def add(self, other: Accounting) -> None:
        """Add another teacher's counts (a Ray worker's) to these."""
        for stage, theirs in other.stages.items():
            self.stages.setdefault(stage, StageCounters()).add(theirs)

    def total(self) -> StageCounters:
        total = StageCounters()
        for counters in self.stages.values():
            total.add(counters)
        return total

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total().as_dict(),
                "stages": {name: c.as_dict() for name, c in sorted(self.stages.items())}}


@runtime_checkable
class Teacher(Protocol):
    """What every backend provides. Constructors never touch the network or load weights."""

    backend: str  # "local", "openai", "vllm"
    max_in_flight: int
    accounting: Accounting

    @property
    def model(self) -> str: ...

    def identity(self) -> dict[str, Any]:
        """What identifies this teacher's outputs (backend, model, model file hash): part of cache keys."""
        ...

    async def complete(self, request: ChatRequest) -> Completion: ...

    def astream(self, requests: Iterable[ChatRequest]) -> AsyncIterator[Completion]: ...

    def stream(self, requests: Iterable[ChatRequest]) -> Iterator[Completion]: ...

    def count_tokens(self, messages: Iterable[Message]) -> int:
        """An estimate of the prompt's tokens (exact where the backend has its tokenizer locally)."""
        ...

    async def aclose(self) -> None: ...

    def close(self) -> None: ...
