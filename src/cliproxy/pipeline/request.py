"""The parsed client request the server hands to the pipeline, and what comes back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cliproxy.dialects.ids import Action, Dialect
from cliproxy.translate.base import Usage


@dataclass(slots=True)
class ClientRequest:
    dialect: Dialect
    action: Action
    model: str  # as the client sent it (prefix and thinking suffix included)
    body: dict[str, Any]
    stream: bool
    headers: Mapping[str, str]
    query: Mapping[str, str] = field(default_factory=dict)
    endpoint: str = ""  # e.g. "POST /v1/chat/completions", for logs and usage records
    principal: str = ""  # which client key (masked) made the call


@dataclass(slots=True)
class Served:
    """Who served the request (for logs, usage records and response headers)."""

    provider: str = ""
    credential: str = ""
    upstream_model: str = ""
    attempts: int = 0
    usage: Usage | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class NonStreamOutcome:
    status: int
    body: bytes
    content_type: str
    served: Served
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class StreamOutcome:
    """A stream whose first event already arrived (so failover before it was still possible)."""

    first: bytes
    rest: AsyncIterator[bytes]
    close: Callable[[], Awaitable[None]]
    served: Served
    content_type: str = "text/event-stream"
    headers: dict[str, str] = field(default_factory=dict)


Outcome = NonStreamOutcome | StreamOutcome
