"""Fold a stream of IR events into a complete ``Response`` (stream ≡ non-stream, in one place)."""

from __future__ import annotations

from typing import assert_never

from cliproxy.ir.events import (
    ArgsDelta,
    End,
    ErrorEvent,
    Event,
    FinishEvent,
    PartEnd,
    PartStart,
    SignatureDelta,
    Start,
    TextDelta,
    ThinkingDelta,
    UsageEvent,
)
from cliproxy.ir.parts import Part, Text, Thinking, ToolCall
from cliproxy.ir.response import Choice, Response


class Accumulator:
    def __init__(self) -> None:
        self.response = Response()
        self.error: ErrorEvent | None = None
        self._parts: dict[tuple[int, int], Part] = {}
        self._order: dict[int, list[tuple[int, int]]] = {}
        self._args: dict[tuple[int, int], list[str]] = {}

    def _choice(self, i: int) -> Choice:
        for c in self.response.choices:
            if c.index == i:
                return c
        c = Choice(index=i)
        self.response.choices.append(c)
        self.response.choices.sort(key=lambda x: x.index)
        return c

    def feed(self, ev: Event) -> None:
        match ev:
            case Start():
                r = self.response
                r.id, r.model, r.created = ev.id or r.id, ev.model or r.model, ev.created or r.created
                if ev.usage is not None:
                    r.usage = ev.usage
            case PartStart():
                key = (ev.choice, ev.index)
                self._choice(ev.choice)
                self._parts[key] = ev.part
                self._order.setdefault(ev.choice, []).append(key)
            case TextDelta():
                p = self._parts.get((ev.choice, ev.index))
                if isinstance(p, Text):
                    p.text += ev.text
            case ThinkingDelta():
                p = self._parts.get((ev.choice, ev.index))
                if isinstance(p, Thinking):
                    p.text += ev.text
            case SignatureDelta():
                p = self._parts.get((ev.choice, ev.index))
                if isinstance(p, Thinking | ToolCall):
                    p.signature += ev.signature
                    p.origin = ev.origin or p.origin
            case ArgsDelta():
                self._args.setdefault((ev.choice, ev.index), []).append(ev.fragment)
            case PartEnd():
                pass
            case UsageEvent():
                self.response.usage = ev.usage
            case FinishEvent():
                c = self._choice(ev.choice)
                c.finish, c.stop_sequence, c.native_finish = ev.reason, ev.stop_sequence, ev.native
            case ErrorEvent():
                self.error = ev
            case End():
                pass
            case _:
                assert_never(ev)

    def result(self) -> Response:
        for choice, keys in self._order.items():
            c = self._choice(choice)
            c.parts = []
            for key in keys:
                part = self._parts[key]
                if isinstance(part, ToolCall) and key in self._args:
                    part.arguments = part.arguments + "".join(self._args[key])
                    part.args = None
                c.parts.append(part)
        return self.response


def assemble(events: list[Event]) -> Response:
    acc = Accumulator()
    for ev in events:
        acc.feed(ev)
    return acc.result()
