"""Config problems: one record per thing wrong with config.yaml, with the key path and line.

The same ``Problem`` record carries warnings (unknown keys, entries dropped by sanitisation) and
errors (wrong types, invalid values); ``ConfigError`` carries every error found in one pass so a
user fixes the whole file at once instead of one line per restart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    key_path: str
    line: int | None
    expected: str
    got: str
    message: str = ""
    column: int | None = None

    def __str__(self) -> str:
        where = self.key_path or "(document)"
        if self.line is not None:
            pos = f"line {self.line}" + (f", column {self.column}" if self.column is not None else "")
            where = f"{where} ({pos})"
        if self.expected:
            body = f"expected {self.expected}, got {self.got}"
            if self.message:
                body = f"{body}; {self.message}"
        else:
            body = self.message or "invalid"
        return f"{where}: {body}"


class ConfigError(Exception):
    """config.yaml is invalid; ``problems`` lists every error found, in file order."""

    def __init__(self, problems: list[Problem], source: str = "<string>",
                 warnings: list[Problem] | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        self.warnings = list(warnings or [])  # found alongside; shown by ``config check``
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.problems)
        head = f"{self.source}: {n} problem{'s' if n != 1 else ''}"
        return head + "".join(f"\n  - {p}" for p in self.problems)

    def __str__(self) -> str:
        return self._render()
