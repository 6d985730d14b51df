"""Local, faithful emulators of the upstream provider APIs that cliproxy talks to.

Every emulator is an aiohttp app served on 127.0.0.1 (ephemeral port) from a
background thread, so sync SDK tests, async tests and the proxy under test can
all reach it.  Shared API (see `runner.EmulatorServer`):

    with OpenAIEmulator(api_key="sk-test") as emu:
        emu.url                       # http://127.0.0.1:PORT
        emu.script(Fault.rate_limit(retry_after=2.0), times=1, model="gpt-4o")
        ...
        emu.requests                  # [RecordedRequest(method, path, query, headers, body, json, model, status, fault)]
        emu.reset()

All emulators answer with the deterministic fake model in `fake_model`.
"""

from .anthropic import AnthropicEmulator
from .cloudcode import CloudCodeEmulator
from .codex import CodexEmulator
from .fake_model import Answer, Prompt, ToolSpec
from .faults import Fault, FaultKind, ScriptEntry
from .gemini import GeminiEmulator
from .oauth_anthropic import AnthropicOAuthEmulator
from .oauth_google import GoogleOAuthEmulator
from .oauth_openai import OpenAIAuthEmulator
from .openai_api import OpenAIEmulator
from .runner import INVALID_JSON, EmulatorServer, RecordedRequest
from .signing import GEMINI_SKIP_SENTINEL, Signer

VertexEmulator = GeminiEmulator
"""Vertex AI routes are served by `GeminiEmulator` (`/v1/projects/{p}/locations/{l}/publishers/google/…`)."""

__all__ = [
    "GEMINI_SKIP_SENTINEL",
    "INVALID_JSON",
    "Answer",
    "AnthropicEmulator",
    "AnthropicOAuthEmulator",
    "CloudCodeEmulator",
    "CodexEmulator",
    "EmulatorServer",
    "Fault",
    "FaultKind",
    "GeminiEmulator",
    "GoogleOAuthEmulator",
    "OpenAIAuthEmulator",
    "OpenAIEmulator",
    "Prompt",
    "RecordedRequest",
    "ScriptEntry",
    "Signer",
    "ToolSpec",
    "VertexEmulator",
]
