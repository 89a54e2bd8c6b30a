"""The teacher judges: a template to render, sampling parameters, and a parser that yields a Verdict.

A judge is the two pure halves of a teacher step (render, parse); the call to the teacher sits between
them, in the caller. `parse` never raises: failed requests, empty, truncated or unparsable text become a
failing Verdict that carries the raw text, so nothing is dropped without a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from labgen.critic.confidence import binary_class, score_class, verdict_distribution
from labgen.critic.config import DEFAULT_CONFIG, CriticConfig
from labgen.critic.judgment_text import ParsedJudgment, parse_binary, parse_scale
from labgen.errors import ConfigError
from labgen.prompts import Template, get_template
from labgen.records import Verdict
from labgen.teachers.base import ChatRequest, Completion, OutputFormat, SamplingParams

JUDGE_NAMES = ("judge_instruction", "judge_question", "judge_pair", "judge_faithfulness",
               "judge_relevance", "judge_standalone", "judge_safety")

# Verdict.check of each judge, and what a failure means in words.
CHECK_NAMES = {
    "judge_instruction": "instruction",
    "judge_question": "question",
    "judge_pair": "pair_quality",
    "judge_faithfulness": "faithfulness",
    "judge_relevance": "relevance",
    "judge_standalone": "standalone",
    "judge_safety": "safety",
}
_FAILURE = {
    "judge_instruction": "instruction off task, not answerable by a language model, or unsafe",
    "judge_question": "question off task or not answerable from the context",
    "judge_faithfulness": "answer states claims the context does not support",
    "judge_relevance": "answer does not address the question",
    "judge_standalone": "question does not stand alone without its document",
    "judge_safety": "unsafe content",
}
_SUCCESS = {
    "judge_instruction": "instruction on task, answerable and safe",
    "judge_question": "question on task and answerable from the context",
    "judge_faithfulness": "every claim supported by the context",
    "judge_relevance": "answer addresses the question",
    "judge_standalone": "question stands alone",
    "judge_safety": "safe",
}
PAIR_SCALE = 3
# Without token probabilities a judgment's confidence is this prior: teacher judges of Mixtral's class
# agree with careful human labels on roughly three items in four.
TEXT_ONLY_CONFIDENCE = 0.75


@dataclass(frozen=True)
class Judge:
    """One teacher judgment. threshold: the minimum score (scale judges) or P(YES) (YES/NO judges)."""

    name: str  # == template id
    template: Template
    params: SamplingParams
    threshold: float
    scale_max: int | None = None  # None for YES/NO judges

    @property
    def check(self) -> str:
        return CHECK_NAMES[self.name]

    def render(self, **fields: Any) -> tuple[dict[str, str], ...]:
        """Chat messages for the teacher; fields are exactly the template's variables."""
        return self.template.render(**fields)

    def request(self, *, tag: Any = None, stage: str | None = None, **fields: Any) -> ChatRequest:
        """A ready ChatRequest (rendered messages, this judge's sampling parameters)."""
        return ChatRequest(messages=self.render(**fields), params=self.params, stage=stage or self.name, tag=tag)

    def parse(self, completion: Completion) -> Verdict:
        """The judgment as a Verdict; never raises."""
        if completion.error is not None or not completion.choices:
            return Verdict(self.check, False, 0.0, f"teacher failed: {completion.error or 'no choices'}",
                           confidence=0.0, raw=None)
        choice = completion.choices[0]
        text = choice.text or ""
        try:
            if self.scale_max is None:
                return self._parse_binary(text, choice.logprobs, choice.finish_reason)
            return self._parse_scale(text, choice.logprobs, choice.finish_reason)
        except Exception as exc:  # a parser bug must cost one sample, not the run
            return Verdict(self.check, False, 0.0, f"unparsable judgment: {type(exc).__name__}: {exc}",
                           confidence=0.0, raw=text)

    def _unparsable(self, text: str, finish_reason: str | None) -> Verdict:
        if not text.strip():
            why = "empty output"
        elif finish_reason == "length":
            why = "output truncated before the verdict"
        else:
            why = "no verdict found in " + repr(text.strip()[:80])
        return Verdict(self.check, False, 0.0, f"unparsable judgment: {why}", confidence=0.0, raw=text)

    def _parse_binary(self, text: str, logprobs: Any, finish_reason: str | None) -> Verdict:
        parsed = parse_binary(text)
        if parsed is None:
            return self._unparsable(text, finish_reason)
        mass = verdict_distribution(logprobs, text, parsed.start, binary_class)
        if mass is not None:
            p_yes, p_no = mass.get(True, 0.0), mass.get(False, 0.0)
            score = p_yes / (p_yes + p_no) if p_yes + p_no > 0 else float(parsed.value)
            passed = score >= self.threshold
            confidence = p_yes if passed else p_no
            if confidence == 0.0:  # the text's verdict was not among the token alternatives
                confidence = 1.0 - max(p_yes, p_no)
        else:
            passed = bool(parsed.value)
            score = 1.0 if passed else 0.0
            confidence = TEXT_ONLY_CONFIDENCE
        label = _SUCCESS[self.name] if passed else _FAILURE[self.name]
        return Verdict(self.check, passed, score, _with_explanation(label, parsed), confidence=confidence, raw=text)

    def _parse_scale(self, text: str, logprobs: Any, finish_reason: str | None) -> Verdict:
        maximum = self.scale_max or PAIR_SCALE
        parsed = parse_scale(text, maximum)
        if parsed is None:
            return self._unparsable(text, finish_reason)
        mass = verdict_distribution(logprobs, text, parsed.start, lambda t: score_class(t, maximum))
        rating = int(parsed.value)
        if mass is not None:
            total = sum(mass.values())
            expected = sum(int(k) * p for k, p in mass.items()) / total  # type: ignore[call-overload]
            score = (expected - 1) / (maximum - 1)
            p_pass = sum(p for k, p in mass.items() if int(k) >= self.threshold)  # type: ignore[call-overload]
            p_fail = sum(p for k, p in mass.items() if int(k) < self.threshold)  # type: ignore[call-overload]
            passed = p_pass >= p_fail
            confidence = p_pass if passed else p_fail
        else:
            passed = rating >= self.threshold
            score = (rating - 1) / (maximum - 1)
            confidence = TEXT_ONLY_CONFIDENCE
        label = f"rated {rating} of {maximum}"
        return Verdict(self.check, passed, score, _with_explanation(label, parsed), confidence=confidence, raw=text)


def _with_explanation(label: str, parsed: ParsedJudgment) -> str:
    return f"{label}: {parsed.explanation}" if parsed.explanation else label


def get_judge(name: str, config: CriticConfig | None = None) -> Judge:
    """The shipped judge of that name (one of JUDGE_NAMES), with thresholds from config."""
    if name not in JUDGE_NAMES:
        raise ConfigError(f"no judge named {name!r}", hint=f"judges: {', '.join(JUDGE_NAMES)}")
    return _judge(name, config or DEFAULT_CONFIG, get_template(name))


@lru_cache(maxsize=256)
def _judge(name: str, config: CriticConfig, template: Template) -> Judge:
    """A judge is made once per settings and template (a changed template file is a new Template): it is
    asked for at every judge request."""
    if name == "judge_pair":
        output_format = OutputFormat("Score", tuple(str(n) for n in range(1, PAIR_SCALE + 1)))
    else:
        output_format = OutputFormat("Verdict", ("YES", "NO"))
    params = SamplingParams(temperature=0.0, top_p=1.0, max_tokens=config.judge_max_tokens,
                            logprobs=config.judge_logprobs,
                            top_logprobs=config.judge_top_logprobs if config.judge_logprobs else 0,
                            output_format=output_format)
    if name == "judge_pair":
        return Judge(name, template, params, float(config.pair_min_score), scale_max=PAIR_SCALE)
    return Judge(name, template, params, float(config.judge_min_p_yes))
