"""Conversation repairs every target needs (translation.md §5.1, §5.3–§5.5).

- Empty messages go (Anthropic rejects empty assistant turns; Gemini rejects empty contents).
- Consecutive turns of one role merge (Antigravity and Claude need alternation).
- Tool calls and results are made adjacent: every assistant turn with calls is followed by a user
  turn that *starts* with one result per call, in call order. Results found later in the
  conversation are moved there; a call with no result gets a placeholder (warned); a result with
  no call becomes text (warned). Anthropic, OpenAI, Responses and Gemini all reject the
  unrepaired forms ("tool_use ids were found without tool_result blocks immediately after",
  "tool_call_ids did not have response messages", "No tool output found", "number of function
  response parts is equal to the number of function call parts").
"""

from __future__ import annotations

from collections.abc import Callable

from cliproxy.ir.parts import Part, Text, ToolCall, ToolResult
from cliproxy.ir.request import Message, Request

PLACEHOLDER = "[result not available]"


def _empty(m: Message) -> bool:
    return all(isinstance(p, Text) and not p.text for p in m.parts)


def merge_turns(msgs: list[Message]) -> list[Message]:
    out: list[Message] = []
    for m in msgs:
        if _empty(m):
            continue
        last = out[-1] if out else None
        if last is not None and last.role == m.role and m.role != "system":
            out[-1] = Message(role=m.role, parts=last.parts + m.parts, name=last.name or m.name)
        else:
            out.append(m)
    return out


def make_adjacent(msgs: list[Message], warn: Callable[[str], None]) -> list[Message]:
    has_calls = any(isinstance(p, ToolCall) for m in msgs if m.role == "assistant" for p in m.parts)
    has_results = any(isinstance(p, ToolResult) for m in msgs if m.role == "user" for p in m.parts)
    if not has_calls and not has_results:
        return msgs
    results: dict[str, ToolResult] = {}
    for m in msgs:
        if m.role == "user":
            for p in m.parts:
                if isinstance(p, ToolResult):
                    results.setdefault(p.call_id, p)
    placed: set[str] = set()
    out: list[Message] = []
    for m in msgs:
        if m.role != "user":
            out.append(m)
            calls = [p for p in m.parts if isinstance(p, ToolCall)] if m.role == "assistant" else []
            answers: list[Part] = []
            for c in calls:
                if c.id in placed:
                    continue
                r = results.get(c.id)
                if r is None:
                    warn(f"tool call {c.id} had no result; a placeholder result was added")
                    r = ToolResult(call_id=c.id, name=c.name, content=[Text(text=PLACEHOLDER)])
                elif not r.name:
                    r.name = c.name
                answers.append(r)
                placed.add(c.id)
            if answers:
                out.append(Message(role="user", parts=answers))
            continue
        keep: list[Part] = []
        for p in m.parts:
            if not isinstance(p, ToolResult):
                keep.append(p)
            elif p.call_id in placed:
                continue  # already moved right after its call
            else:
                warn(f"a tool result ({p.call_id}) without a matching call was sent as text")
                body = "".join(c.text for c in p.content if isinstance(c, Text))
                keep.append(Text(text=f"[tool result {p.call_id}]\n{body}"))
        if not keep:
            continue
        if out and out[-1].role == "user":
            out[-1] = Message(role="user", parts=out[-1].parts + keep, name=out[-1].name or m.name)
        else:
            out.append(Message(role="user", parts=keep, name=m.name))
    return out


def normalize(req: Request, warn: Callable[[str], None]) -> Request:
    req.messages = make_adjacent(merge_turns(req.messages), warn)
    if not any(m.role != "system" for m in req.messages) and (req.system or req.messages):
        # only instructions, no conversation: every API needs a user turn, so they become it
        parts = list(req.system) + [p for m in req.messages for p in m.parts]
        req.system, req.messages = [], [Message(role="user", parts=parts)]
    return req
