"""Gemini ``streamGenerateContent?alt=sse`` (upstream side) → IR events.

Each chunk holds whole parts. Text and thought text stream as deltas of one open part per kind;
a ``functionCall`` is a complete call (start, one argument delta, end). A signature closes the
thinking it belongs to (one is created when no thought text came). The stream ends at EOF; a
stream that never carried a ``finishReason`` is reported as an error, not as a silent success.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import msgspec

from cliproxy.dialects.gemini.common import FINISH_IN, STATUS_NAME, get, usage_in
from cliproxy.dialects.gemini.response_in import code_text
from cliproxy.ir import (
    ArgsDelta,
    End,
    ErrorEvent,
    Event,
    File,
    Finish,
    FinishEvent,
    Image,
    PartEnd,
    PartStart,
    SignatureDelta,
    Start,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCall,
    UsageEvent,
)
from cliproxy.ir.names import NameMap
from cliproxy.ir.signatures import GEMINI_SKIP
from cliproxy.ir.util import call_id

_decode = msgspec.json.decode
_encode = msgspec.json.encode
_STATUS = MappingProxyType({v: k for k, v in STATUS_NAME.items()})


class _Cand:
    __slots__ = ("finished", "kind", "next", "open", "signed", "tools")

    def __init__(self) -> None:
        self.next = 0
        self.open = -1
        self.kind = ""
        self.signed = False  # the open thinking part already has its signature
        self.tools = False
        self.finished = False


class StreamDecoder:
    def __init__(self, names: NameMap, warnings: list[str], origin: str = "gemini") -> None:
        self._names = names
        self.warnings = warnings
        self._origin = origin
        self._started = False
        self._done = False
        self._finished = False
        self._cands: dict[int, _Cand] = {}
        self._rid = ""
        self._calls = 0

    def feed(self, event: str, data: bytes) -> list[Event]:
        if not data or data == b"[DONE]":
            return []
        obj: Any = _decode(data)
        return self.feed_obj(obj)

    def feed_obj(self, obj: Any) -> list[Event]:
        if isinstance(obj, list):
            out: list[Event] = []
            for o in obj:
                out.extend(self.feed_obj(o))
            return out
        if not isinstance(obj, dict):
            return []
        if isinstance(obj.get("response"), dict) and "candidates" not in obj:
            obj = obj["response"]  # Gemini CLI / Antigravity envelope
        if "error" in obj and "candidates" not in obj:
            err = obj["error"] if isinstance(obj["error"], dict) else {"message": str(obj["error"])}
            self._done = True
            code = err.get("code")
            return [ErrorEvent(status=code if isinstance(code, int) else _STATUS.get(str(err.get("status")), 500),
                               type=str(err.get("status") or "api_error"), message=err.get("message") or ""), End()]
        out = []
        if not self._started:
            self._started = True
            self._rid = get(obj, "responseId", "response_id") or ""
            out.append(Start(id=self._rid,
                             model=get(obj, "modelVersion", "model_version") or ""))
        for i, cand in enumerate(obj.get("candidates") or ()):
            if isinstance(cand, dict):
                self._cand(cand, cand.get("index", i), out)
        pf = get(obj, "promptFeedback", "prompt_feedback")
        if isinstance(pf, dict) and get(pf, "blockReason", "block_reason") and not obj.get("candidates"):
            self._finished = True
            out.append(FinishEvent(reason=Finish.CONTENT_FILTER, native=str(get(pf, "blockReason", "block_reason"))))
        um = get(obj, "usageMetadata", "usage_metadata")
        if isinstance(um, dict):
            out.append(UsageEvent(usage=usage_in(um)))
        return out

    def _state(self, ci: int) -> _Cand:
        st = self._cands.get(ci)
        if st is None:
            st = self._cands[ci] = _Cand()
        return st

    def _close(self, st: _Cand, ci: int, out: list[Event]) -> None:
        if st.open >= 0:
            out.append(PartEnd(index=st.open, choice=ci))
            st.open, st.kind, st.signed = -1, "", False

    def _open(self, st: _Cand, ci: int, kind: str, out: list[Event]) -> int:
        if st.kind == kind and not (kind == "thinking" and st.signed):
            return st.open
        self._close(st, ci, out)
        st.open, st.kind = st.next, kind
        st.next += 1
        out.append(PartStart(index=st.open, choice=ci,
                             part=Text(text="") if kind == "text" else Thinking(origin=self._origin)))
        return st.open

    def _sign(self, st: _Cand, ci: int, sig: str, out: list[Event]) -> None:
        """Sign the open thinking part, or a fresh empty one."""
        if st.kind != "thinking" or st.signed:
            self._close(st, ci, out)
            self._open(st, ci, "thinking", out)
        out.append(SignatureDelta(index=st.open, signature=sig, origin=self._origin, choice=ci))
        st.signed = True

    def _cand(self, cand: dict[str, Any], ci: int, out: list[Event]) -> None:
        st = self._state(ci)
        for p in (cand.get("content") or {}).get("parts") or ():
            if isinstance(p, dict):
                self._part(st, ci, p, out)
        fr = get(cand, "finishReason", "finish_reason")
        if get(cand, "groundingMetadata", "grounding_metadata"):
            msg = "gemini grounding metadata (search citations) is not translated"
            if msg not in self.warnings:
                self.warnings.append(msg)
        if fr and not st.finished:
            st.finished = True
            self._finished = True
            self._close(st, ci, out)
            reason = FINISH_IN.get(fr, Finish.OTHER)
            if st.tools and reason is Finish.STOP:
                reason = Finish.TOOL_CALLS
            out.append(FinishEvent(reason=reason, native=fr, choice=ci))

    def _part(self, st: _Cand, ci: int, p: dict[str, Any], out: list[Event]) -> None:
        sig = get(p, "thoughtSignature", "thought_signature") or ""
        if sig == GEMINI_SKIP:
            sig = ""
        text = p.get("text")
        if p.get("thought") is True:
            idx = self._open(st, ci, "thinking", out)
            if isinstance(text, str) and text:
                out.append(ThinkingDelta(index=idx, text=text, choice=ci))
            if sig:
                self._sign(st, ci, sig, out)
            return
        if sig:
            self._sign(st, ci, sig, out)
        fc = get(p, "functionCall", "function_call")
        inl = get(p, "inlineData", "inline_data")
        if isinstance(fc, dict):
            self._close(st, ci, out)
            ns, name = self._names.client(fc.get("name") or "")
            idx = st.next
            st.next += 1
            st.tools = True
            args = fc.get("args")
            out.append(PartStart(index=idx, choice=ci,
                                 part=ToolCall(id=fc.get("id") or call_id(self._rid, self._calls), name=name,
                                               namespace=ns)))
            self._calls += 1
            out.append(ArgsDelta(index=idx, choice=ci,
                                 fragment=_encode(args if isinstance(args, dict) else {}).decode()))
            out.append(PartEnd(index=idx, choice=ci))
        elif isinstance(text, str):
            if text:
                out.append(TextDelta(index=self._open(st, ci, "text", out), text=text, choice=ci))
        elif isinstance(inl, dict):
            self._close(st, ci, out)
            mime = get(inl, "mimeType", "mime_type") or "image/png"
            data = inl.get("data") or ""
            part = Image(mime=mime, data=data) if mime.startswith("image/") else File(mime=mime, data=data)
            out.append(PartStart(index=st.next, part=part, choice=ci))
            out.append(PartEnd(index=st.next, choice=ci))
            st.next += 1
        elif (ct := code_text(p)) is not None:
            out.append(TextDelta(index=self._open(st, ci, "text", out), text=ct, choice=ci))

    def finish(self) -> list[Event]:
        if self._done:
            return []
        self._done = True
        out: list[Event] = []
        if not self._started:
            out.append(Start())
        for ci, st in self._cands.items():
            self._close(st, ci, out)
        if not self._finished:
            out.append(ErrorEvent(status=502, type="api_error",
                                  message="upstream stream ended without a finishReason"))
        out.append(End())
        return out
