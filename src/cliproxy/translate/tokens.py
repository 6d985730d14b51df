"""Local input-token counts, for count-tokens requests whose upstream has no counting endpoint
(OpenAI-compatible, Codex) — translation.md §3.6 / §5.10.

A real tokenizer is used when one is available offline: ``bpe-openai`` (the ``tokenizers`` extra,
which ships the cl100k/o200k tables inside the package), or ``tiktoken`` when its encoding file is
already in the local cache (it downloads on first use, and this proxy must not reach the network
for a count). The encoding follows the model family (``encoding_for_model``); a model outside the
OpenAI families is counted with o200k and reported as approximate. Otherwise the count is an
approximation, and says so (``TokenCount.approximate``): words are cut into runs
of at most five letters, digits into groups of three, every punctuation mark and every non-ASCII
character counts one, messages cost 3 tokens of framing, images a flat 765 (a 512-px tile at high
detail), documents and audio 1 per 4 bytes of payload. It was checked only against a handful of
sentences with known cl100k counts (within ~10% there, see tests/translate/test_tokens.py); expect
it to err high on code and CJK text, which is the safe side for context budgeting.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from typing import Any

import msgspec

from cliproxy.dialects.ids import Dialect
from cliproxy.ir import File, Image, Opaque, Request, Text, Thinking, ToolCall, ToolResult, args_text

_PIECES = re.compile(r"[A-Za-z]{1,5}|[0-9]{1,3}|[^\sA-Za-z0-9]", re.ASCII)  # one match ≈ one token
_BLOB = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"
IMAGE_TOKENS = 765
MESSAGE_OVERHEAD = 3


@dataclass(frozen=True, slots=True)
class TokenCount:
    tokens: int
    approximate: bool
    method: str  # "tiktoken:<encoding>" or "approximate"


def _cached_encoding(name: str) -> Any | None:
    """A tiktoken encoding, only if its file is already cached locally (no network)."""
    try:
        import tiktoken
    except ImportError:
        return None
    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR") or os.path.join(
        tempfile.gettempdir(), "data-gym-cache")
    key = hashlib.sha1(_BLOB.format(name).encode()).hexdigest()
    if not os.path.exists(os.path.join(cache, key)):
        return None
    try:
        return tiktoken.get_encoding(name)
    except Exception:  # a corrupt cache must never break a count
        return None


def _bpe_openai_encoding(name: str) -> Any | None:
    """``bpe-openai`` carries its tables in the wheel: a real tokenizer with no network."""
    with warnings.catch_warnings():  # it loads its tables with a deprecated importlib API
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import bpe_openai
        except ImportError:
            return None
        try:
            return bpe_openai.get_encoding(name)
        except Exception:  # an unknown encoding name must never break a count
            return None


# Model-family facts (data): which OpenAI encoding a model uses. Order matters: first match wins.
_ENCODINGS: tuple[tuple[str, str], ...] = (
    ("gpt-4o", "o200k_base"), ("gpt-4.1", "o200k_base"), ("gpt-4.5", "o200k_base"), ("gpt-5", "o200k_base"),
    ("o1", "o200k_base"), ("o3", "o200k_base"), ("o4", "o200k_base"), ("codex", "o200k_base"),
    ("gpt-oss", "o200k_base"), ("gpt-4", "cl100k_base"), ("gpt-3.5", "cl100k_base"),
)


def encoding_for_model(model: str) -> tuple[str, bool]:
    """(encoding name, exact?) for a model: exact only for OpenAI families."""
    m = model.lower().rsplit("/", 1)[-1]
    for prefix, enc in _ENCODINGS:
        if m.startswith(prefix):
            return enc, True
    return "o200k_base", False


def approx_tokens(text: str) -> int:
    return len(_PIECES.findall(text))


class Counter:
    """Counts text with tiktoken (when cached) or the approximation. Build one per process."""

    def __init__(self, encoding: str = "o200k_base", *, exact_family: bool = True) -> None:
        self._enc = _cached_encoding(encoding)
        self.method = f"tiktoken:{encoding}"
        if self._enc is None:
            self._enc = _bpe_openai_encoding(encoding)
            self.method = f"bpe-openai:{encoding}"
        if self._enc is None:
            self.method = "approximate"
        self.approximate = self._enc is None or not exact_family

    def text(self, text: str) -> int:
        if not text:
            return 0
        if self._enc is not None:
            return len(self._enc.encode(text, disallowed_special=()))
        return approx_tokens(text)

    def request(self, req: Request) -> TokenCount:
        n = MESSAGE_OVERHEAD  # reply priming
        texts: list[str] = []
        for p in req.system:
            if isinstance(p, Text):
                texts.append(p.text)
        if req.system:
            n += MESSAGE_OVERHEAD
        for m in req.messages:
            n += MESSAGE_OVERHEAD
            for p in m.parts:
                n += self._part(p, texts)
        for t in req.tools:
            texts.append(t.name)
            texts.append(t.description)
            texts.append(msgspec.json.encode(t.parameters).decode())
        n += sum(self.text(t) for t in texts)
        return TokenCount(n, self.approximate, self.method)

    def _part(self, p: Any, texts: list[str]) -> int:
        if isinstance(p, Text | Thinking):
            texts.append(p.text)
        elif isinstance(p, ToolCall):
            texts.append(p.name)
            texts.append(args_text(p))
        elif isinstance(p, ToolResult):
            return MESSAGE_OVERHEAD + sum(self._part(c, texts) for c in p.content)
        elif isinstance(p, Image):
            return IMAGE_TOKENS
        elif isinstance(p, File):
            if p.text:
                texts.append(p.text)
            else:
                return max(1, len(p.data) * 3 // 4 // 4)
        elif isinstance(p, Opaque):
            texts.append(msgspec.json.encode(p.data).decode())
        return 0


def count_request(dialect: Dialect, body: dict[str, Any], counter: Counter | None = None) -> TokenCount:
    """Input tokens of a client request in its own dialect (for a local count-tokens answer)."""
    from cliproxy.translate.codecs import codec

    req = codec(dialect).decode_request(body, [])
    return (counter or Counter()).request(req)


def count_tokens_body(dialect: Dialect, n: int) -> bytes:
    """A count-tokens answer in the client's dialect."""
    from cliproxy.translate.codecs import codec

    return codec(dialect).count_body(n)
