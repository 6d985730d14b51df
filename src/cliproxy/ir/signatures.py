"""Signature provenance on the wire.

A signature shown to a client of another family is tagged ``<origin>#`` (``claude#Eq…``,
``gemini#Ci…``, ``openai#gAAAA…``) so that when the client replays its history we still know who
minted it: the original family gets it back verbatim, any other family never sees it (Anthropic
rejects foreign signatures; Gemini gets its documented skip sentinel instead). Signatures shown to
their own family are never tagged.

Gemini clients hold signatures as *bytes* (google-genai base64-decodes ``thoughtSignature`` and
re-encodes it URL-safe), so for them the tagged form is itself base64-encoded, and what they send
back is decoded with either alphabet. Gemini clients also drop thought parts from their history
(Gemini CLI does), while a Claude signature only verifies together with its thinking text, so for
them the text travels inside the tag too: ``<origin>#<signature>#<base64 text>``.
"""

from __future__ import annotations

import base64
import binascii

FAMILIES = frozenset({"claude", "gemini", "antigravity", "openai"})
GEMINI_SKIP = "skip_thought_signature_validator"


def to_client(signature: str, origin: str, client_family: str, *, b64: bool = False, text: str = "") -> str:
    if not signature or not origin or origin == client_family:
        return signature
    tagged = origin + "#" + signature
    if text:
        tagged += "#" + base64.b64encode(text.encode()).decode()
    return base64.b64encode(tagged.encode()).decode() if b64 else tagged


def _split(tagged: str) -> tuple[str, str, str] | None:
    head, sep, rest = tagged.partition("#")
    if not sep or head not in FAMILIES:
        return None
    sig, _, text = rest.partition("#")
    try:
        return head, sig, base64.b64decode(text).decode() if text else ""
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return head, rest, ""


def from_client_full(signature: str, client_family: str, *, b64: bool = False) -> tuple[str, str, str]:
    """(origin, raw signature, thinking text carried in the tag or "") of a signature a client sent back."""
    if not signature:
        return "", "", ""
    hit = _split(signature)
    if hit is None and b64 and len(signature) >= 8:
        try:
            raw = base64.b64decode(signature.replace("-", "+").replace("_", "/") + "==", validate=False)
            hit = _split(raw.decode("ascii")) if raw[:12].split(b"#")[0].decode("ascii", "replace") in FAMILIES else None
        except (binascii.Error, UnicodeDecodeError, ValueError):
            hit = None
    if hit is not None:
        return hit
    return client_family, signature, ""


def from_client(signature: str, client_family: str, *, b64: bool = False) -> tuple[str, str]:
    """(origin, raw signature) of a signature a client sent back."""
    origin, sig, _ = from_client_full(signature, client_family, b64=b64)
    return origin, sig
