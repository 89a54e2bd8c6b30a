"""Shared CLI plumbing: turning library errors into messages and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from labgen.errors import LabgenError

F = TypeVar("F", bound=Callable[..., Any])


def fail(error: LabgenError) -> click.exceptions.Exit:
    """Print a LabgenError as `error: ...` on stderr and return the Exit to raise."""
    click.echo(f"error: {error.render()}", err=True)
    return click.exceptions.Exit(error.exit_code)


def handle_errors(func: F) -> F:
    """Decorator for command callbacks: LabgenError -> clean message and its exit code."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LabgenError as error:
            raise fail(error) from None

    return wrapper  # type: ignore[return-value]


def run_cli(group: click.Group, argv: list[str]) -> Any:
    try:
        return group.main(args=argv, prog_name="labgen", standalone_mode=True)
    except LabgenError as error:  # raised outside a command callback
        click.echo(f"error: {error.render()}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
