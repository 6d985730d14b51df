"""What an encoder may know beyond the IR: target model, framing choices, name maps, warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cliproxy.ir.names import EMPTY, NameMap


@dataclass(slots=True)
class EncodeOptions:
    """For request encoders (IR → upstream body)."""

    model: str  # the upstream model name
    stream: bool = False
    count_only: bool = False  # build a count-tokens body
    names: NameMap = EMPTY
    warnings: list[str] = field(default_factory=list)
    family: str = ""  # signature family the target accepts ("" = the encoder's own)
    variant: str = ""  # a dialect-specific flavour (e.g. "antigravity" schema cleaning)

    def warn(self, msg: str) -> None:
        if msg not in self.warnings:
            self.warnings.append(msg)


@dataclass(slots=True)
class ClientMeta:
    """For client-side encoders (IR answer → client body or stream)."""

    model: str  # the model name the client asked for (echoed back)
    body: dict[str, Any] = field(default_factory=dict)  # the client's request, read-only
    names: NameMap = EMPTY  # upstream tool names → the client's spelling
    alt: str = ""  # Gemini ``alt`` query value
    warnings: list[str] = field(default_factory=list)

    def warn(self, msg: str) -> None:
        if msg not in self.warnings:
            self.warnings.append(msg)
