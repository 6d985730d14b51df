"""Verifiable opaque tokens the emulators mint and later check.

Owns: Anthropic thinking-block signatures (bound to the thinking text, so a
tampered block fails like on the real API), Gemini `thoughtSignature`s and
OpenAI/Codex reasoning `encrypted_content` (self-verifying, shaped like the
real thing: a base64 protobuf-looking blob and a Fernet token respectively),
plus HS256 JWTs for the OAuth emulators.

Why: the proxy must replay these values byte-for-byte and must not forward
signatures minted by another provider.  An HMAC under the emulator's secret
lets the emulator tell its own tokens from foreign or edited ones.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import struct
from typing import Any

GEMINI_SKIP_SENTINEL = "skip_thought_signature_validator"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Mints and verifies tokens under one secret; instances with the same secret agree."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, purpose: str, payload: bytes) -> bytes:
        return hmac.new(self._secret, purpose.encode() + b"\x00" + payload, hashlib.sha256).digest()

    # Anthropic: signature bound to the thinking text ------------------------
    def thinking_signature(self, thinking: str) -> str:
        """Standard-base64 blob starting with `E` (0x12 tag), like real Claude signatures."""
        mac = self._mac("anthropic-thinking", thinking.encode())
        return base64.b64encode(b"\x12\x20" + mac + b"\x1a\x08emulator").decode()

    def verify_thinking(self, thinking: str, signature: str) -> bool:
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            return False
        expected = self._mac("anthropic-thinking", thinking.encode())
        return len(raw) >= 34 and raw[:2] == b"\x12\x20" and hmac.compare_digest(raw[2:34], expected)

    # Self-verifying opaque tokens ---------------------------------------------
    def opaque(self, purpose: str, nonce: str) -> str:
        """Base64 token carrying its own nonce and MAC (Gemini thought signatures)."""
        body = nonce.encode()
        raw = b"\x12" + bytes([len(body)]) + body + self._mac(purpose, body)
        return base64.b64encode(raw).decode()

    def verify_opaque(self, purpose: str, token: str) -> bool:
        """Proto `bytes` fields accept standard or URL-safe base64, padded or not (SDKs re-encode)."""
        try:
            normal = token.replace("-", "+").replace("_", "/")
            raw = base64.b64decode(normal + "=" * (-len(normal) % 4), validate=True)
        except (binascii.Error, ValueError):
            return False
        if len(raw) < 2 or raw[0] != 0x12 or len(raw) != 2 + raw[1] + 32:
            return False
        body = raw[2 : 2 + raw[1]]
        return hmac.compare_digest(raw[2 + raw[1] :], self._mac(purpose, body))

    def fernet_like(self, purpose: str, nonce: str, timestamp: int = 0) -> str:
        """A token with Fernet's layout (0x80 | ts | iv | ciphertext×16 | hmac), as Codex sends."""
        iv = hashlib.sha256(b"iv" + nonce.encode()).digest()[:16]
        cipher = hashlib.sha256(b"ct" + nonce.encode()).digest()
        head = b"\x80" + struct.pack(">Q", timestamp) + iv + cipher
        return base64.urlsafe_b64encode(head + self._mac(purpose, head)).decode()

    def verify_fernet_like(self, purpose: str, token: str) -> bool:
        try:
            raw = _b64url_decode(token)
        except (binascii.Error, ValueError):
            return False
        if len(raw) < 57 + 32 or raw[0] != 0x80 or (len(raw) - 57) % 16:
            return False
        head, mac = raw[:-32], raw[-32:]
        return hmac.compare_digest(mac, self._mac(purpose, head))

    # JWTs for the OAuth emulators ---------------------------------------------
    def jwt(self, claims: dict[str, Any]) -> str:
        """An HS256 JWT; the proxy only decodes claims, it never verifies provider JWTs."""
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "emulator"}).encode())
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{header}.{payload}".encode()
        sig = hmac.new(self._secret, signing_input, hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64url(sig)}"

    def verify_jwt(self, token: str) -> dict[str, Any] | None:
        parts = token.split(".")
        if len(parts) != 3:
            return None
        sig = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(_b64url_decode(parts[2]), sig):
                return None
            claims = json.loads(_b64url_decode(parts[1]))
        except (binascii.Error, ValueError):
            return None
        return claims if isinstance(claims, dict) else None
