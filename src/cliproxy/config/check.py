"""``cliproxy config check PATH``: every error and warning in a config file, for a person to read.

Exit codes: 0 valid (warnings allowed), 1 invalid, 2 the file is missing or unreadable.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from cliproxy.config.errors import ConfigError, Problem
from cliproxy.config.load import parse_config_bytes


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _emit(out: TextIO, label: str, problems: list[Problem]) -> None:
    for p in problems:
        out.write(f"  {label}: {p}\n")


def run_check(path: str, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    p = Path(path).expanduser()
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        out.write(f"{path}: cannot read: no such file.\n")
        return 2
    except IsADirectoryError:
        out.write(f"{path}: cannot read: it is a directory, not a config file.\n")
        return 2
    except OSError as exc:
        out.write(f"{path}: cannot read: {exc.strerror or exc}.\n")
        return 2
    errors: list[Problem] = []
    try:
        _cfg, warnings = parse_config_bytes(data, str(p))
    except ConfigError as exc:
        errors, warnings = exc.problems, exc.warnings
    if errors:
        _emit(out, "error", errors)
        _emit(out, "warning", warnings)
        extra = f", {_plural(len(warnings), 'warning')}" if warnings else ""
        out.write(f"{path} is INVALID: {_plural(len(errors), 'error')}{extra}. cliproxy will not start "
                  "with it; a running server keeps its last good config.\n")
        return 1
    _emit(out, "warning", warnings)
    note = f" ({_plural(len(warnings), 'warning')})" if warnings else ""
    out.write(f"{path} is valid{note}.\n")
    return 0
