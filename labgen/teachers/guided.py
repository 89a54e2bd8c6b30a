"""Guided decoding on an OpenAI-compatible server: the request field that enforces an output format.

vLLM (0.10.2 and later; the `guided_*` fields were removed in 0.12) takes `"structured_outputs": {"regex":
...}` in the chat request body; llama.cpp's server takes a GBNF `"grammar"`. A server of unknown kind
gets vLLM's form. A server that refuses the field (a 400/422 naming it, or an unknown-parameter error)
is asked again without it; the caller then stops sending it to that server.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from labgen.teachers.base import ListFormat, OutputFormat
from labgen.teachers.retry import Failure
from labgen.teachers.server_info import LLAMA_CPP

_REFUSAL = re.compile(r"structured.?outputs?|grammar|regex|guided|unrecogni[sz]ed (request )?argument|"
                      r"unknown (field|parameter|argument)|unexpected keyword|extra (inputs|fields) are not "
                      r"permitted|extra_forbidden|unsupported parameter|not supported", re.IGNORECASE)


def guided_fields(output_format: OutputFormat | ListFormat | None, server_kind: str) -> dict[str, Any]:
    """The body fields that make `server_kind` decode in `output_format` ({} without a format).

    Built once per (format, kind): a run has a handful of formats and every request carries one. Callers
    must not modify the result.
    """
    return {} if output_format is None else _fields(output_format, server_kind)


@functools.lru_cache(maxsize=256)
def _fields(output_format: OutputFormat | ListFormat, server_kind: str) -> dict[str, Any]:
    if server_kind == LLAMA_CPP:
        return {"grammar": output_format.gbnf()}
    return {"structured_outputs": {"regex": output_format.regex()}}


def is_refusal(failure: Failure) -> bool:
    """Whether a failed request was refused for its guided-decoding field (not for its prompt or size)."""
    return failure.kind == "http_error" and failure.status in (400, 422) and bool(_REFUSAL.search(failure.message))
