"""A deterministic fake teacher whose outputs vary enough to survive dedup, and whose judgments spread over
the thresholds curation changes: judge_pair rates 1, 2 or 3, knowledge answers are grounded to varying
degrees, and (with logprobs) YES/NO judges say YES with a chosen probability.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from labgen.hashing import content_hash
from labgen.teachers.base import ChatRequest, Choice, Completion, TokenLogprob
from tests.fakes import FakeTeacher

WORDS = """apple anchor badger basket beacon blanket bottle bridge bucket cabin camera candle canyon carpet
castle cellar chimney circus cliff cloud compass copper cradle crystal daisy desert dragon drum eagle engine
feather fence ferry forest fountain garden glacier guitar hammer harbor helmet hill island jacket jungle kettle
ladder lantern lemon library lighthouse marble meadow mirror monkey mountain needle oasis orchard otter palace
parrot pebble pepper piano pillow planet pocket pond prism puzzle quarry rabbit raft ribbon river rocket saddle
satellite scarf shelter shovel silver skate sled spider sponge statue stone suitcase sunset teapot tiger tower
trumpet tunnel turtle umbrella valley velvet violin volcano wagon walnut whistle window wizard yacht zebra""".split()


def pick(text: str, count: int) -> list[str]:
    """`count` words chosen by the text's hash: equal text, equal words."""
    digest = content_hash(text)
    return [WORDS[int(digest[4 * i:4 * i + 4], 16) % len(WORDS)] for i in range(count)]


def bucket(text: str, buckets: int) -> int:
    return int(content_hash(["bucket", text])[:8], 16) % buckets


def _key(request: ChatRequest) -> str:
    return f"{request.messages[-1]['content']}|{request.params.seed}"


def _count(request: ChatRequest) -> int:
    match = re.search(r"Write (\d+) new", request.messages[-1]["content"])
    return int(match.group(1)) if match else 3


def varied_answer(request: ChatRequest) -> str:
    key, stage = _key(request), request.stage
    if stage in ("freeform_instructions", "grounded_questions"):
        lines = []
        for i in range(_count(request)):
            a, b, c, d = pick(f"{key}#{i}", 4)
            lines.append(f"{i + 1}. Write a short riddle about the {a} and the {b}, hidden near the {c} of a {d}.")
        return "Here are the instructions:\n" + "\n".join(lines)
    if stage == "grounded_contexts":
        blocks = []
        for i in range(_count(request)):
            a, b, c, d, e = pick(f"{key}#{i}", 5)
            blocks.append(f"Context {i + 1}:\nThe {a} office recorded {bucket(key, 40) + 3} visits of the {b} on "
                          f"Monday, while the {c} and the {d} waited by the {e} until dusk.")
        return "\n\n".join(blocks)
    if stage == "grounded_response":
        content = request.messages[-1]["content"]
        context = content.split("Context:\n")[-1].split("\n\nInstruction:")[0].strip()
        return f"Response: {context}"
    if stage == "freeform_response":
        a, b, c = pick(key, 3)
        return f"Response: I stand by the {a} and I sing to the {b}, yet I never leave the {c}. What am I?"
    if stage.startswith("knowledge_qa_"):
        pairs = []
        for i in range(_count(request)):
            a, b = pick(f"{key}#{i}", 2)
            grounded = ["Tides are the regular rise and fall of the sea.",
                        f"Tides are caused by the {a} and the sea.",
                        f"The {a} moves the {b} every lunar day."][bucket(f"{key}#{i}", 3)]
            pairs.append(f"Question: What does the text say about the {a} and the {b} in question {i}?\n"
                         f"Answer: {grounded}")
        return "\n\n".join(pairs)
    if stage == "judge_pair":
        return f"Reason: judged.\nScore: {1 + bucket(key, 3)}"
    if stage.startswith("judge_"):
        return "Reason: fine.\nVerdict: YES"
    return ""


class VariedTeacher(FakeTeacher):
    """FakeTeacher answering with `varied_answer`; `p_yes(request)` adds token probabilities to YES/NO
    judgments (None: text only)."""

    def __init__(self, *, p_yes: Callable[[ChatRequest], float] | None = None, **kwargs: object) -> None:
        super().__init__(responder=varied_answer, max_in_flight=8, **kwargs)  # type: ignore[arg-type]
        self.p_yes = p_yes

    async def _complete_once(self, request: ChatRequest) -> Completion:
        completion = await super()._complete_once(request)
        if self.p_yes is None or not completion.ok or not request.params.logprobs or request.stage == "judge_pair":
            return completion
        text = completion.text
        start = text.index("YES")
        p = self.p_yes(request)
        tokens = (TokenLogprob(text[:start], -0.01),
                  TokenLogprob("YES", math.log(p), (("YES", math.log(p)), ("NO", math.log(1 - p)))),
                  TokenLogprob(text[start + 3:], -0.01))
        return Completion(request=request, choices=(Choice(text=text, finish_reason="stop", logprobs=tokens),),
                          prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens,
                          model=completion.model)
