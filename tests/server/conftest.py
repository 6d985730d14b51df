"""Shared fixtures for the proxy-core integration suite.

Everything here talks over real sockets: the official SDKs (``openai``, ``anthropic``,
``google-genai``) call a real ``cliproxy`` server (``ProxyServer``), which calls the upstream
emulators from ``tests/emulators``. Emulators are module-scoped (one per module and upstream);
every test starts with an empty request log, no scripted faults and an empty cooldown book.

Config dicts use the YAML spelling (kebab-case keys), exactly as a user would write them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from emulators import AnthropicEmulator, CodexEmulator, GeminiEmulator, OpenAIEmulator

from ._support import CLAUDE_UP_KEY, CODEX_UP_KEY, GEMINI_UP_KEY, OPENAI_UP_KEY, VERTEX_UP_KEY

# Names the emulator fixtures are registered under; the autouse fixture resets the ones in use.
_EMULATOR_FIXTURES = ("openai_emu", "codex_emu", "anthropic_emu", "gemini_emu", "vertex_emu")


# ---------------------------------------------------------------- emulators


@pytest.fixture(scope="module")
def openai_emu() -> Iterator[OpenAIEmulator]:
    """An OpenAI-compatible upstream (``/v1/chat/completions``); accepts any model."""
    with OpenAIEmulator(api_key=[OPENAI_UP_KEY, OPENAI_UP_KEY + "-b"], models=None) as emu:
        yield emu


@pytest.fixture(scope="module")
def codex_emu() -> Iterator[CodexEmulator]:
    """The ChatGPT Codex backend (``/backend-api/codex/responses``), strict like the real one."""
    with CodexEmulator(access_token=[CODEX_UP_KEY, CODEX_UP_KEY + "-b"], account_id=None) as emu:
        yield emu


@pytest.fixture(scope="module")
def anthropic_emu() -> Iterator[Any]:
    """api.anthropic.com Messages (accepts ``x-api-key`` or Bearer; needs ``anthropic-version``)."""
    with AnthropicEmulator(api_key=[CLAUDE_UP_KEY, CLAUDE_UP_KEY + "-b"]) as emu:
        yield emu


@pytest.fixture(scope="module")
def gemini_emu() -> Iterator[Any]:
    """The Gemini API (``/v1beta/models/{m}:generateContent`` …) with ``x-goog-api-key`` auth."""
    with GeminiEmulator(api_key=[GEMINI_UP_KEY, GEMINI_UP_KEY + "-b"]) as emu:
        yield emu


@pytest.fixture(scope="module")
def vertex_emu() -> Iterator[Any]:
    """Vertex AI publisher models (``/v1/publishers/google/models/{m}:…``) with an API key."""
    with GeminiEmulator(api_key=[VERTEX_UP_KEY, VERTEX_UP_KEY + "-b"]) as emu:
        yield emu


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_upstream: the test may reach an upstream (bad-input module)")


@pytest.fixture(autouse=True)
def _fresh_state(request: pytest.FixtureRequest) -> None:
    """Each test starts with clean emulator logs/fault scripts and no cooldowns."""
    for name in request.fixturenames:
        if name in _EMULATOR_FIXTURES:
            request.getfixturevalue(name).reset()
    if "px" in request.fixturenames:
        px = request.getfixturevalue("px")
        px.state.book.reset()


@pytest.fixture
def closing() -> Iterator[Callable[[Any], Any]]:
    """``closing(client)`` registers an SDK client to be closed at teardown and returns it."""
    clients: list[Any] = []

    def register(client: Any) -> Any:
        clients.append(client)
        return client

    yield register
    for c in clients:
        with contextlib.suppress(Exception):
            c.close()


