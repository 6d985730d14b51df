"""OpenAI chat completion (upstream side, non-stream) → IR."""

from __future__ import annotations

from typing import Any

import msgspec

from cliproxy.dialects.openai_chat.common import FINISH_IN, usage_in
from cliproxy.ir import Choice, Finish, Image, Part, Response, Text, Thinking, ToolCall
from cliproxy.ir.names import NameMap
from cliproxy.ir.util import new_id, parse_data_url


def message_parts(msg: dict[str, Any], names: NameMap) -> list[Part]:
    parts: list[Part] = []
    r = msg.get("reasoning_content") or msg.get("reasoning")
    if isinstance(r, str) and r:
        parts.append(Thinking(text=r, origin="openai"))
    c = msg.get("content")
    if isinstance(c, str) and c:
        parts.append(Text(text=c))
    elif isinstance(c, list):
        parts.extend(Text(text=p.get("text") or "") for p in c if isinstance(p, dict) and p.get("text"))
    if isinstance(msg.get("refusal"), str) and msg["refusal"]:
        parts.append(Text(text=msg["refusal"], refusal=True))
    for img in msg.get("images") or []:
        url = ((img or {}).get("image_url") or {}).get("url", "") if isinstance(img, dict) else ""
        du = parse_data_url(url)
        if du:
            parts.append(Image(mime=du[0], data=du[1]))
        elif url:
            parts.append(Image(url=url))
    for tc in msg.get("tool_calls") or []:
        if not isinstance(tc, dict):
            continue
        fn = tc.get("function") or {}
        ns, name = names.client(fn.get("name") or "")
        args = fn.get("arguments")
        parts.append(ToolCall(id=tc.get("id") or new_id("call_"), name=name, namespace=ns,
                              arguments=args if isinstance(args, str) else "",
                              args=args if isinstance(args, dict) else None))
    return parts


def decode_response(body: bytes, names: NameMap, warnings: list[str]) -> Response:
    obj = msgspec.json.decode(body)
    if not isinstance(obj, dict):
        raise ValueError("chat completion is not a JSON object")
    choices = []
    for i, ch in enumerate(obj.get("choices") or []):
        if not isinstance(ch, dict):
            continue
        fr = ch.get("finish_reason")
        parts = message_parts(ch.get("message") or {}, names)
        finish = FINISH_IN.get(fr, Finish.STOP) if fr else None
        choices.append(Choice(index=ch.get("index", i), parts=parts, finish=finish, native_finish=fr or ""))
    u = obj.get("usage")
    return Response(id=obj.get("id") or "", model=obj.get("model") or "", created=obj.get("created") or 0,
                    choices=choices, usage=usage_in(u) if isinstance(u, dict) else None)
