"""The in-process vLLM backend (`vllm`, optional extra): the offline engine on a local GPU.

vLLM batches internally, so requests that arrive together are gathered and fed to `LLM.chat` in
chunks (256 by default) rather than one giant call, with prefix caching on so the leaf-constant start
of prompts is computed once. vllm is imported only when this backend runs its first request.
"""

from __future__ import annotations

import asyncio
import importlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from labgen.errors import TeacherError, import_optional
from labgen.teachers.base import ChatRequest, Choice, Completion, SamplingParams, TokenLogprob
from labgen.teachers.bounded import BoundedTeacher

INSTALL_HINT = "install with pip install 'labgen[vllm]' (needs a CUDA GPU)"


def import_vllm() -> Any:
    return import_optional("vllm", TeacherError, "the vllm backend", INSTALL_HINT)


def to_vllm_sampling(vllm: Any, params: SamplingParams, guided: bool = True) -> Any:
    """labgen's SamplingParams as vllm.SamplingParams (logprobs: None, or how many alternatives); an output
    format becomes a structured-outputs regex when `guided`."""
    return vllm.SamplingParams(
        n=params.n, temperature=params.temperature, top_p=params.top_p, max_tokens=params.max_tokens,
        stop=list(params.stop) or None, seed=params.seed,
        logprobs=params.top_logprobs if params.logprobs else None,
        **(structured_outputs(vllm, params) if guided else {}))


def structured_outputs(vllm: Any, params: SamplingParams) -> dict[str, Any]:
    """The SamplingParams keyword for the output format's regex: `structured_outputs` (vLLM 0.10.2 and
    later), `guided_decoding` before that; {} without a format or where neither exists."""
    if params.output_format is None:
        return {}
    try:
        module = importlib.import_module(vllm.__name__ + ".sampling_params")
    except ImportError:
        module = None
    regex = params.output_format.regex()
    if hasattr(module, "StructuredOutputsParams"):
        return {"structured_outputs": module.StructuredOutputsParams(regex=regex)}
    if hasattr(module, "GuidedDecodingParams"):
        return {"guided_decoding": module.GuidedDecodingParams(regex=regex)}
    return {}


def from_vllm_logprobs(token_ids: Any, positions: Any) -> tuple[TokenLogprob, ...] | None:
    """vLLM's per-position {token_id: Logprob(logprob, rank, decoded_token)} as TokenLogprob tuples."""
    if positions is None:
        return None
    out = []
    for token_id, alternatives in zip(token_ids, positions):
        chosen = alternatives.get(token_id)
        if chosen is None:
            continue
        others = sorted(alternatives.items(), key=lambda item: getattr(item[1], "rank", 0) or 0)
        top = tuple((str(alt.decoded_token or ""), float(alt.logprob)) for tid, alt in others if tid != token_id)
        out.append(TokenLogprob(str(chosen.decoded_token or ""), float(chosen.logprob), top))
    return tuple(out)


class VLLMTeacher(BoundedTeacher):
    """vllm.LLM in this process; requests gathered into chunks of `chunk_size` per engine call."""

    backend = "vllm"

    def __init__(self, *, model: str, max_in_flight: int = 512, chunk_size: int = 256,
                 engine_kwargs: dict[str, Any] | None = None, guided: bool = True) -> None:
        super().__init__(max_in_flight=max_in_flight)
        self.guided = guided
        self._model = model
        self.chunk_size = chunk_size
        self.engine_kwargs = dict(engine_kwargs or {})
        self._llm: Any = None
        self._executor: ThreadPoolExecutor | None = None
        self._pending: list[tuple[ChatRequest, asyncio.Future[Completion]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self.chunks_run: list[int] = []  # sizes of the engine calls, for tests and stats

    @property
    def model(self) -> str:
        return self._model

    def identity(self) -> dict[str, Any]:
        return {"backend": self.backend, "model": self.model, **({} if self.guided else {"guided": False})}

    @property
    def context_window(self) -> int | None:
        """The engine's max_model_len once it is loaded (None before: loading it takes minutes)."""
        try:
            return int(self._llm.llm_engine.model_config.max_model_len) if self._llm is not None else None
        except (AttributeError, TypeError, ValueError):
            return None

    def _engine(self) -> Any:
        if self._llm is None:
            vllm = import_vllm()
            self._llm = vllm.LLM(model=self._model, enable_prefix_caching=True, **self.engine_kwargs)
        return self._llm

    def _on_loop_change(self) -> None:
        self._drainer = None
        self._pending = []

    async def _complete_once(self, request: ChatRequest) -> Completion:
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labgen-vllm")
        while self._pending:
            await asyncio.sleep(0)  # let the tasks started in this tick queue their requests too
            chunk, self._pending = self._pending[:self.chunk_size], self._pending[self.chunk_size:]
            try:
                results = await loop.run_in_executor(self._executor, self.run_chunk, [r for r, _ in chunk])
            except Exception as exc:  # the engine failed: every request of the chunk learns why
                for _, future in chunk:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), completion in zip(chunk, results):
                if not future.done():
                    future.set_result(completion)

    def run_chunk(self, requests: list[ChatRequest]) -> list[Completion]:
        """One engine call for up to chunk_size requests (synchronous; runs on the worker thread)."""
        llm = self._engine()
        vllm = import_vllm()
        self.chunks_run.append(len(requests))
        outputs = llm.chat([list(r.messages) for r in requests],
                           [to_vllm_sampling(vllm, r.params, self.guided) for r in requests], use_tqdm=False)
        completions = []
        for request, output in zip(requests, outputs):
            choices = tuple(Choice(text=o.text, finish_reason=o.finish_reason,
                                   logprobs=from_vllm_logprobs(o.token_ids, o.logprobs)
                                   if request.params.logprobs else None) for o in output.outputs)
            completions.append(Completion(
                request=request, choices=choices, model=self._model,
                prompt_tokens=len(output.prompt_token_ids or ()),
                completion_tokens=sum(len(o.token_ids) for o in output.outputs)))
        return completions

    async def _aclose_resources(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        self._llm = None
