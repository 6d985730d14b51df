"""OpenAI chat SSE (upstream side) → IR events.

Text and reasoning deltas open and close parts as the kind changes. Tool calls are addressed by
their OpenAI ``index``; a call's part opens once its name is known (arguments that arrive first
are held) and stays open until ``finish_reason`` (upstreams may interleave fragments of parallel
calls), then every open part closes.
"""

from __future__ import annotations

from typing import Any

import msgspec

from cliproxy.dialects.openai_chat.common import FINISH_IN, usage_in
from cliproxy.ir import (
    ArgsDelta,
    End,
    ErrorEvent,
    Event,
    Finish,
    FinishEvent,
    Image,
    PartEnd,
    PartStart,
    Start,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCall,
    UsageEvent,
    args_object,
)
from cliproxy.ir.names import NameMap
from cliproxy.ir.util import new_id, parse_data_url

_decode = msgspec.json.decode
_encode = msgspec.json.encode


class _Tool:
    __slots__ = ("args", "id", "index", "mode", "name", "started")

    def __init__(self, index: int) -> None:
        self.index = index
        self.id = ""
        self.name = ""
        self.args: list[str] = []  # held fragments (before the name, or while the mode is undecided)
        self.started = False
        self.mode = ""  # "" undecided, "stream", or "repair" (single-quoted pseudo-JSON, sent whole)


class _Choice:
    __slots__ = ("finished", "kind", "next", "open", "tools")

    def __init__(self) -> None:
        self.next = 0
        self.open = -1  # IR index of the open text/reasoning part
        self.kind = ""
        self.tools: dict[int, _Tool] = {}
        self.finished = False


class StreamDecoder:
    def __init__(self, names: NameMap, warnings: list[str]) -> None:
        self._names = names
        self.warnings = warnings
        self._started = False
        self._done = False
        self._finished = False
        self._choices: dict[int, _Choice] = {}

    def feed(self, event: str, data: bytes) -> list[Event]:
        if not data:
            return []
        if data == b"[DONE]":
            return self._end()
        obj: Any = _decode(data)
        if not isinstance(obj, dict):
            return []
        out: list[Event] = []
        if "error" in obj and not obj.get("choices"):
            err = obj.get("error") or {}
            msg = err.get("message", "") if isinstance(err, dict) else str(err)
            code = err.get("code") if isinstance(err, dict) else None
            status = code if isinstance(code, int) else 500
            self._done = True
            return [ErrorEvent(status=status, type=(err.get("type") if isinstance(err, dict) else "") or "api_error",
                               message=msg), End()]
        if not self._started:
            self._started = True
            out.append(Start(id=obj.get("id") or "", model=obj.get("model") or "",
                             created=obj.get("created") or 0))
        for ch in obj.get("choices") or ():
            if isinstance(ch, dict):
                self._choice(ch, out)
        u = obj.get("usage")
        if isinstance(u, dict):
            out.append(UsageEvent(usage=usage_in(u)))
        return out

    def _state(self, i: int) -> _Choice:
        st = self._choices.get(i)
        if st is None:
            st = self._choices[i] = _Choice()
        return st

    def _switch(self, st: _Choice, ci: int, kind: str, out: list[Event]) -> int:
        if st.kind == kind:
            return st.open
        if st.open >= 0:
            out.append(PartEnd(index=st.open, choice=ci))
        st.open, st.kind = st.next, kind
        st.next += 1
        out.append(PartStart(index=st.open, part=Text(text="") if kind == "text" else Thinking(origin="openai"),
                             choice=ci))
        return st.open

    def _close_open(self, st: _Choice, ci: int, out: list[Event]) -> None:
        if st.open >= 0:
            out.append(PartEnd(index=st.open, choice=ci))
            st.open, st.kind = -1, ""

    def _choice(self, ch: dict[str, Any], out: list[Event]) -> None:
        ci = ch.get("index", 0)
        st = self._state(ci)
        d = ch.get("delta") or {}
        if st.kind == "text" and not ch.get("finish_reason") and len(d) <= 2:
            # the hot path: one more piece of the text part already open
            c = d.get("content")
            if type(c) is str and (len(d) == 1 or "role" in d):
                if c:
                    out.append(TextDelta(index=st.open, text=c, choice=ci))
                return
        r = d.get("reasoning_content") or d.get("reasoning")
        if isinstance(r, str) and r:
            out.append(ThinkingDelta(index=self._switch(st, ci, "thinking", out), text=r, choice=ci))
        c = d.get("content")
        if isinstance(c, str) and c:
            out.append(TextDelta(index=self._switch(st, ci, "text", out), text=c, choice=ci))
        ref = d.get("refusal")
        if isinstance(ref, str) and ref:
            out.append(TextDelta(index=self._switch(st, ci, "text", out), text=ref, choice=ci))
        for img in d.get("images") or ():
            url = ((img or {}).get("image_url") or {}).get("url", "") if isinstance(img, dict) else ""
            du = parse_data_url(url)
            self._close_open(st, ci, out)
            out.append(PartStart(index=st.next, part=Image(mime=du[0], data=du[1]) if du else Image(url=url),
                                 choice=ci))
            out.append(PartEnd(index=st.next, choice=ci))
            st.next += 1
        for tc in d.get("tool_calls") or ():
            if isinstance(tc, dict):
                self._tool(st, ci, tc, out)
        fr = ch.get("finish_reason")
        if fr:
            self._finish_choice(st, ci, out)
            self._finished = True
            out.append(FinishEvent(reason=FINISH_IN.get(fr, Finish.STOP), native=fr, choice=ci))

    def _tool(self, st: _Choice, ci: int, tc: dict[str, Any], out: list[Event]) -> None:
        ti = tc.get("index", len(st.tools))
        t = st.tools.get(ti)
        if t is None:
            self._close_open(st, ci, out)
            t = st.tools[ti] = _Tool(st.next)
            st.next += 1
        if tc.get("id") and not t.id:
            t.id = tc["id"]
        fn = tc.get("function") or {}
        if fn.get("name") and not t.started:
            t.name += fn["name"]
        frag = fn.get("arguments")
        if isinstance(frag, str) and frag:
            if t.started and t.mode == "stream":
                out.append(ArgsDelta(index=t.index, fragment=frag, choice=ci))
            else:
                t.args.append(frag)
                self._decide(t)
        if not t.started and t.name:
            self._start_tool(t, ci, out)
        elif t.started and t.mode == "stream" and t.args:
            out.append(ArgsDelta(index=t.index, fragment="".join(t.args), choice=ci))
            t.args = []

    @staticmethod
    def _decide(t: _Tool) -> None:
        """Stream arguments as they come, unless they open like ``{'…`` (some OpenAI-compatible
        servers emit Python-style dicts): those are held and repaired at the end (C79)."""
        if t.mode:
            return
        head = "".join(t.args).lstrip()
        if len(head) >= 2:
            t.mode = "repair" if head[1] == "'" else "stream"

    def _start_tool(self, t: _Tool, ci: int, out: list[Event]) -> None:
        t.started = True
        ns, name = self._names.client(t.name)
        out.append(PartStart(index=t.index, part=ToolCall(id=t.id or new_id("call_"), name=name, namespace=ns),
                             choice=ci))
        if t.args and t.mode == "stream":
            out.append(ArgsDelta(index=t.index, fragment="".join(t.args), choice=ci))
            t.args = []

    def _finish_choice(self, st: _Choice, ci: int, out: list[Event]) -> None:
        if st.finished:
            return
        st.finished = True
        self._close_open(st, ci, out)
        for t in st.tools.values():
            if not t.started:
                if not t.name:
                    self._warn("openai stream: a tool call without a name was dropped")
                    continue
                self._start_tool(t, ci, out)
            if t.args:
                raw = "".join(t.args)
                if t.mode == "repair":
                    fixed = args_object(ToolCall(id="", name="", arguments=raw))
                    if fixed is not None:
                        raw = _encode(fixed).decode()
                    else:
                        self._warn("openai stream: tool arguments were not valid JSON and could not be repaired")
                out.append(ArgsDelta(index=t.index, fragment=raw, choice=ci))
                t.args = []
            out.append(PartEnd(index=t.index, choice=ci))

    def _end(self) -> list[Event]:
        if self._done:
            return []
        self._done = True
        out: list[Event] = []
        if not self._started:
            out.append(Start())
        for ci, st in self._choices.items():
            self._finish_choice(st, ci, out)
        out.append(End())
        return out

    def finish(self) -> list[Event]:
        if self._done:
            return []
        if self._finished:
            return self._end()
        out: list[Event] = [ErrorEvent(status=502, type="api_error",
                                       message="upstream stream ended before finish_reason")]
        out.extend(self._end())
        return out

    def _warn(self, msg: str) -> None:
        if msg not in self.warnings:
            self.warnings.append(msg)
