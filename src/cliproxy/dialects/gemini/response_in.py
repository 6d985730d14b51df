"""Gemini generateContent answer (upstream side, non-stream) → IR.

Signatures are attached to the thinking right before the part that carried them (an empty
thinking part is created when the model returned no thought text), so clients that replay thinking
(Claude, Responses) give them back and Gemini 3 multi-turn tool use keeps its signatures.
"""

from __future__ import annotations

from typing import Any

import msgspec

from cliproxy.dialects.gemini.common import FINISH_IN, get, usage_in
from cliproxy.ir import Choice, File, Finish, Image, Part, Response, Text, Thinking, ToolCall
from cliproxy.ir.names import NameMap
from cliproxy.ir.signatures import GEMINI_SKIP
from cliproxy.ir.util import call_id


def code_text(p: dict[str, Any]) -> str | None:
    ec = get(p, "executableCode", "executable_code")
    if isinstance(ec, dict):
        return f"\n```{str(ec.get('language') or '').lower().replace('language_unspecified', '')}\n{ec.get('code') or ''}\n```\n"
    cr = get(p, "codeExecutionResult", "code_execution_result")
    if isinstance(cr, dict):
        return f"\n```\n{cr.get('output') or ''}\n```\n"
    return None


def candidate_parts(parts: Any, names: NameMap, origin: str, rid: str = "", first_call: int = 0) -> list[Part]:
    out: list[Part] = []
    calls = first_call
    for p in parts or []:
        if not isinstance(p, dict):
            continue
        sig = get(p, "thoughtSignature", "thought_signature") or ""
        if sig == GEMINI_SKIP:
            sig = ""
        fc = get(p, "functionCall", "function_call")
        if p.get("thought") is True:
            last = out[-1] if out else None
            if isinstance(last, Thinking) and not last.signature:
                last.text += p.get("text") or ""
                last.signature = sig
            else:
                out.append(Thinking(text=p.get("text") or "", signature=sig, origin=origin))
            continue
        if sig:
            last = out[-1] if out else None
            if isinstance(last, Thinking) and not last.signature:
                last.signature = sig
            else:
                out.append(Thinking(signature=sig, origin=origin))
        inl = get(p, "inlineData", "inline_data")
        if isinstance(fc, dict):
            ns, name = names.client(fc.get("name") or "")
            args = fc.get("args")
            out.append(ToolCall(id=fc.get("id") or call_id(rid, calls), name=name, namespace=ns,
                                args=args if isinstance(args, dict) else {}))
            calls += 1
        elif isinstance(p.get("text"), str):
            if p["text"]:
                last = out[-1] if out else None
                if isinstance(last, Text):
                    last.text += p["text"]
                else:
                    out.append(Text(text=p["text"]))
        elif isinstance(inl, dict):
            mime = get(inl, "mimeType", "mime_type") or "image/png"
            data = inl.get("data") or ""
            out.append(Image(mime=mime, data=data) if mime.startswith("image/") else File(mime=mime, data=data))
        elif (ct := code_text(p)) is not None:
            out.append(Text(text=ct))
    return out


def finish_of(fr: str | None, has_tools: bool) -> Finish | None:
    if not fr:
        return None
    f = FINISH_IN.get(fr, Finish.OTHER)
    return Finish.TOOL_CALLS if has_tools and f is Finish.STOP else f


def decode_obj(obj: dict[str, Any], names: NameMap, origin: str, warnings: list[str]) -> Response:
    choices = []
    rid = get(obj, "responseId", "response_id") or ""
    ncalls = 0
    for i, cand in enumerate(obj.get("candidates") or []):
        if not isinstance(cand, dict):
            continue
        parts = candidate_parts((cand.get("content") or {}).get("parts"), names, origin, rid, ncalls)
        ncalls += sum(isinstance(p, ToolCall) for p in parts)
        fr = get(cand, "finishReason", "finish_reason")
        has_tools = any(isinstance(p, ToolCall) for p in parts)
        choices.append(Choice(index=cand.get("index", i), parts=parts, finish=finish_of(fr, has_tools),
                              native_finish=fr or ""))
        if get(cand, "groundingMetadata", "grounding_metadata"):
            msg = "gemini grounding metadata (search citations) is not translated"
            if msg not in warnings:
                warnings.append(msg)
    pf = get(obj, "promptFeedback", "prompt_feedback")
    if not choices and isinstance(pf, dict) and get(pf, "blockReason", "block_reason"):
        choices.append(Choice(finish=Finish.CONTENT_FILTER, native_finish=str(get(pf, "blockReason", "block_reason"))))
    um = get(obj, "usageMetadata", "usage_metadata")
    return Response(id=get(obj, "responseId", "response_id") or "", model=get(obj, "modelVersion", "model_version") or "",
                    choices=choices, usage=usage_in(um) if isinstance(um, dict) else None)


def decode_response(body: bytes, names: NameMap, warnings: list[str], origin: str = "gemini") -> Response:
    obj = msgspec.json.decode(body)
    if isinstance(obj, list):  # alt=json stream array
        from cliproxy.dialects.gemini.assemble import merge_chunks

        obj = merge_chunks(o for o in obj if isinstance(o, dict))
    if not isinstance(obj, dict):
        raise ValueError("Gemini answer is not a JSON object")
    if "response" in obj and "candidates" not in obj and isinstance(obj["response"], dict):
        obj = obj["response"]
    return decode_obj(obj, names, origin, warnings)


def read_count(body: bytes) -> int:
    obj = msgspec.json.decode(body)
    if isinstance(obj, dict) and isinstance(obj.get("response"), dict):
        obj = obj["response"]
    return int(obj.get("totalTokens") or obj.get("total_tokens") or 0) if isinstance(obj, dict) else 0
