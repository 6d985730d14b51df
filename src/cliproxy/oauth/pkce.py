"""PKCE (RFC 7636, S256) and the random ``state`` every browser login checks."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class PKCE:
    verifier: str
    challenge: str
    method: str = "S256"


def new_pkce() -> PKCE:
    """96 random bytes, base64url (as Claude Code and Codex do), and its SHA-256 challenge."""
    verifier = _b64url(secrets.token_bytes(96))
    return PKCE(verifier, challenge_for(verifier))


def challenge_for(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode()).digest())


def new_state() -> str:
    """32 random hex characters. Always random: upstream's constant Gemini state is a CSRF bug."""
    return secrets.token_hex(16)
