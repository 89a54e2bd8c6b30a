"""`labgen teacher ...`: inspect and check the configured teacher."""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

import click

from labgen.cli.common import handle_errors
from labgen.cli.teacher_options import teacher_config_from_cli, teacher_options


@click.group()
def teacher() -> None:
    """Inspect and check the teacher model."""


@teacher.command("check")
@teacher_options
@handle_errors
def check(**kwargs: Any) -> None:
    """Send one tiny request (and a logprobs probe); print one JSON line; exit 0 only when it worked.

    A check tries each request at most twice unless --max-retries (or the env/config) says otherwise.
    """
    from labgen.teachers.check import check_teacher
    from labgen.teachers.config import build_teacher

    explicit_retries = kwargs.get("max_retries") is not None
    config = teacher_config_from_cli(kwargs)
    if not explicit_retries:
        config = dataclasses.replace(config, max_retries=min(config.max_retries, 1))
    teacher_ = build_teacher(config)
    try:
        report = check_teacher(teacher_)
    finally:
        try:
            teacher_.close()
        except Exception:  # closing a teacher that never worked must not hide the report
            pass
    click.echo(json.dumps(report))
    sys.stdout.flush()
    if not report["ok"]:
        raise click.exceptions.Exit(1)
