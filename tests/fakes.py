"""A deterministic fake teacher for tests: queued or prompt-keyed answers, a call history, no randomness.

    teacher = FakeTeacher(by_stage={"judge_pair": "Score: 3"}, responder=plausible_answer)
    ... run code that awaits teacher.complete(...) ...
    assert teacher.calls("freeform_instructions")[0].messages[-1]["content"].startswith("Task:")

Answer lookup, first match wins: `keyed` (a substring of the last message -> answer), `queued[stage]`
(popped in order), `by_stage[stage]`, `responder(request)`, then `default`. An answer is a string, a
(text, finish_reason) pair, or a FakeFailure (the request fails after retries).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from labgen.hashing import short_id
from labgen.teachers.base import ChatRequest, Choice, Completion
from labgen.teachers.bounded import BoundedTeacher

Answer = Any  # str | tuple[str, str] | FakeFailure


@dataclass(frozen=True)
class FakeFailure:
    error: str = "HTTP 503 after 5 retries"
    kind: str = "server_error"  # Completion.error_kind; "context_length" is a failure no retry can fix


class FakeTeacher(BoundedTeacher):
    backend = "fake"

    def __init__(self, *, keyed: dict[str, Answer] | None = None, queued: dict[str, Iterable[Answer]] | None = None,
                 by_stage: dict[str, Answer] | None = None, responder: Callable[[ChatRequest], Answer] | None = None,
                 default: Answer = "", max_in_flight: int = 4, model: str = "fake-teacher",
                 context_window: int = 8192, delay_s: float = 0.0) -> None:
        super().__init__(max_in_flight=max_in_flight)
        self.keyed = dict(keyed or {})
        self.queued = {stage: deque(answers) for stage, answers in (queued or {}).items()}
        self.by_stage = dict(by_stage or {})
        self.responder = responder
        self.default = default
        self._model = model
        self.context_window = context_window
        self.delay_s = delay_s
        self.history: list[ChatRequest] = []
        self.in_flight = 0
        self.peak_in_flight = 0

    @property
    def model(self) -> str:
        return self._model

    def calls(self, stage: str | None = None) -> list[ChatRequest]:
        return [r for r in self.history if stage is None or r.stage == stage]

    def _answer(self, request: ChatRequest) -> Answer:
        last = request.messages[-1]["content"] if request.messages else ""
        for key, answer in self.keyed.items():
            if key in last:
                return answer
        queue = self.queued.get(request.stage)
        if queue:
            return queue.popleft()
        if request.stage in self.by_stage:
            return self.by_stage[request.stage]
        if self.responder is not None:
            return self.responder(request)
        return self.default

    async def _complete_once(self, request: ChatRequest) -> Completion:
        self.history.append(request)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            else:
                await asyncio.sleep(0)
            answer = self._answer(request)
        finally:
            self.in_flight -= 1
        if isinstance(answer, FakeFailure):
            return Completion(request=request, error=answer.error, error_kind=answer.kind, retries=5,
                              model=self._model)
        text, finish = (answer, "stop") if isinstance(answer, str) else answer
        return Completion(request=request, choices=(Choice(text=text, finish_reason=finish),),
                          prompt_tokens=sum(len(m["content"]) for m in request.messages) // 4,
                          completion_tokens=len(text) // 4, model=self._model)


def _key(request: ChatRequest) -> str:
    return short_id([request.messages[-1]["content"], request.params.seed], 6)


def plausible_answer(request: ChatRequest) -> str:
    """An answer each stage can parse and each judge passes, different for every prompt and seed."""
    key = _key(request)
    stage = request.stage
    if stage in ("freeform_instructions", "grounded_questions"):
        count = _count(request)
        return "Sure! Here are the instructions:\n\n" + "\n".join(
            f"{i + 1}. Describe the {['river', 'garden', 'harbour', 'market', 'forest', 'bridge'][i % 6]} "
            f"scene number {key}{i} in two sentences." for i in range(count))
    if stage == "grounded_contexts":
        return "\n\n".join(f"Context {i + 1}:\nThe harbour office {key}{i} recorded 12 ships on Monday and "
                           f"9 ships on Tuesday, mostly cargo vessels from the north." for i in range(_count(request)))
    if stage == "grounded_response":
        content = request.messages[-1]["content"]
        context = content.split("Context:\n")[-1].split("\n\nInstruction:")[0].strip()
        return f"Response: {context}"
    if stage == "freeform_response":
        return (f"Response: The harbour scene {key} shows cargo ships arriving on Monday and Tuesday. "
                f"The harbour office recorded the ships carefully.")
    if stage.startswith("knowledge_qa_"):
        count = _count(request)
        return "\n\n".join(f"Question: What does the excerpt say about item {key}{i}?\n"
                           f"Answer: The excerpt says the water cycle moves water {key}{i}." for i in range(count))
    if stage == "judge_pair":
        return "Reason: correct and complete.\nScore: 3"
    if stage.startswith("judge_"):
        return "Reason: fine.\nVerdict: YES"
    return ""


def _count(request: ChatRequest) -> int:
    import re

    match = re.search(r"Write (\d+) new", request.messages[-1]["content"])
    return int(match.group(1)) if match else 3


_ADJECTIVES = ("quiet", "bright", "narrow", "ancient", "busy", "gentle", "frozen", "crowded", "hidden", "sunny",
               "rusty", "tiny", "vast", "noisy", "golden", "muddy", "silver", "empty", "wooden", "distant",
               "careful", "patient", "curious", "sleepy", "brave", "clever", "tired", "eager", "proud", "calm")
_NOUNS = ("harbour", "garden", "market", "forest", "bridge", "library", "kitchen", "village", "station", "river",
          "lantern", "teacher", "farmer", "baker", "sailor", "painter", "doctor", "child", "engine", "window",
          "meadow", "castle", "island", "valley", "orchard", "workshop", "museum", "tunnel", "canal", "tower",
          "bicycle", "ladder", "basket", "mirror", "blanket", "compass", "notebook", "kettle", "violin", "candle")
_VERBS = ("repairs", "paints", "visits", "watches", "carries", "cleans", "builds", "describes", "measures",
          "follows", "opens", "crosses", "guards", "explores", "counts", "sorts", "collects", "protects",
          "studies", "decorates", "lights", "fills", "moves", "checks", "draws", "finds", "keeps", "brings")


def _sentence(rng: Any) -> str:
    return (f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {rng.choice(_VERBS)} the "
            f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} near the {rng.choice(_NOUNS)} every "
            f"{rng.choice(_ADJECTIVES)} morning.")


def diverse_answer(request: ChatRequest) -> str:
    """Like plausible_answer, but every item is new English text drawn from a seeded word bank, so items
    of different requests are not near-duplicates, and answers from a context copy its sentences (they
    are grounded): a scripted teacher whose output the critic and dedup keep, for reach-the-target runs."""
    import random
    import re

    rng = random.Random(_key(request))
    stage = request.stage
    content = request.messages[-1]["content"] if request.messages else ""
    if stage in ("freeform_instructions", "grounded_questions"):
        return "\n".join(f"{i + 1}. Explain why {_sentence(rng)[4:-1].lower()}?" for i in range(_count(request)))
    if stage == "grounded_contexts":
        return "\n\n".join(f"Context {i + 1}:\n" + " ".join(_sentence(rng) for _ in range(4))
                           for i in range(_count(request)))
    if stage == "freeform_response":
        return "Response: " + " ".join(_sentence(rng) for _ in range(3))
    if stage == "grounded_response":
        context = content.split("Context:\n")[-1].split("\n\nInstruction:")[0].strip()
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", context) if s]
        return "Response: " + " ".join(rng.sample(sentences, min(2, len(sentences))))
    if stage.startswith("knowledge_qa_"):
        chunk = content.split("New excerpt:")[-1].split("\n\nWrite ")[0]
        sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", chunk) if len(s.split()) >= 6]
        pairs = []
        for i in range(_count(request)):
            answer = " ".join(rng.sample(sentences, min(2, len(sentences)))) if sentences else _sentence(rng)
            opener = rng.choice(("According to the excerpt, what happens when", "Why does it matter that",
                                 "What follows from the fact that", "How does the text explain that"))
            pairs.append(f"Question: {opener} {_sentence(rng)[4:-1].lower()}?\nAnswer: {answer}")
        return "\n\n".join(pairs)
    if stage == "judge_pair":
        return "Reason: correct and complete.\nScore: 3"
    if stage.startswith("judge_"):
        return "Reason: fine.\nVerdict: YES"
    return ""
