"""One codec per wire dialect: the functions the hub composes (decode → IR → encode).

A codec is a frozen bundle of pure functions and factories; there is one constant per dialect and
``codec()`` picks it with a ``match`` (no registry, nothing registered at import time). The Gemini
CLI, Antigravity and Codex codecs are the Gemini and Responses codecs plus their envelopes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import msgspec

from cliproxy.dialects.anthropic import (
    assemble as an_asm,
    names as an_names,
    request_in as an_req_in,
    request_out as an_req_out,
    response_in as an_resp_in,
    response_out as an_resp_out,
    stream_in as an_stream_in,
    stream_out as an_stream_out,
)
from cliproxy.dialects.antigravity import envelope as ag_env
from cliproxy.dialects.codex import envelope as codex_env
from cliproxy.dialects.gemini import (
    assemble as gm_asm,
    common as gm_common,
    request_in as gm_req_in,
    request_out as gm_req_out,
    response_in as gm_resp_in,
    response_out as gm_resp_out,
    stream_in as gm_stream_in,
    stream_out as gm_stream_out,
)
from cliproxy.dialects.gemini_cli import envelope as cli_env
from cliproxy.dialects.ids import Dialect
from cliproxy.dialects.openai_chat import (
    assemble as oc_asm,
    common as oc_common,
    request_in as oc_req_in,
    request_out as oc_req_out,
    response_in as oc_resp_in,
    response_out as oc_resp_out,
    stream_in as oc_stream_in,
    stream_out as oc_stream_out,
)
from cliproxy.dialects.openai_responses import (
    assemble as rs_asm,
    request_in as rs_req_in,
    request_out as rs_req_out,
    response_in as rs_resp_in,
    response_out as rs_resp_out,
    stream_in as rs_stream_in,
    stream_out as rs_stream_out,
)
from cliproxy.ir import Event, Request, Response
from cliproxy.ir.names import NameMap
from cliproxy.ir.options import ClientMeta, EncodeOptions
from cliproxy.translate.base import UpstreamEvent


class StreamDecoder(Protocol):
    def feed(self, event: str, data: bytes) -> list[Event]: ...

    def finish(self) -> list[Event]: ...


class StreamEncoder(Protocol):
    def feed(self, ev: Event) -> list[bytes]: ...

    def finish(self) -> list[bytes]: ...


@dataclass(frozen=True, slots=True)
class Codec:
    dialect: Dialect
    family: str  # who mints the signatures this dialect's upstreams return
    decode_request: Callable[[dict[str, Any], list[str]], Request]
    encode_request: Callable[[Request, EncodeOptions], dict[str, Any]]
    decode_response: Callable[[bytes, NameMap, list[str]], Response]
    encode_response: Callable[[Response, ClientMeta], bytes]
    stream_decoder: Callable[[NameMap, list[str]], StreamDecoder]
    stream_encoder: Callable[[ClientMeta], StreamEncoder]
    assemble: Callable[[Iterable[UpstreamEvent]], bytes]
    safe_name: Callable[[str], str]
    tool_names: Callable[[dict[str, Any]], list[tuple[str, str]]]
    read_count: Callable[[bytes], int]
    count_body: Callable[[int], bytes]


def _not_client(*_: Any) -> Any:
    raise TypeError("this dialect is upstream-only")


ANTHROPIC = Codec(
    dialect=Dialect.ANTHROPIC, family="claude",
    decode_request=an_req_in.decode_request, encode_request=an_req_out.encode_request,
    decode_response=an_resp_in.decode_response, encode_response=an_resp_out.encode_response,
    stream_decoder=an_stream_in.StreamDecoder, stream_encoder=an_stream_out.StreamEncoder,
    assemble=an_asm.assemble, safe_name=an_names.safe_name, tool_names=an_req_in.tool_names,
    read_count=an_resp_in.read_count, count_body=an_resp_out.count_body,
)

OPENAI_CHAT = Codec(
    dialect=Dialect.OPENAI_CHAT, family="openai",
    decode_request=oc_req_in.decode_request, encode_request=oc_req_out.encode_request,
    decode_response=oc_resp_in.decode_response, encode_response=oc_resp_out.encode_response,
    stream_decoder=oc_stream_in.StreamDecoder, stream_encoder=oc_stream_out.StreamEncoder,
    assemble=oc_asm.assemble, safe_name=oc_common.safe_name, tool_names=oc_req_in.tool_names,
    read_count=rs_resp_in.read_count, count_body=lambda n: msgspec.json.encode({"object": "response.input_tokens",
                                                                                "input_tokens": n}),
)

OPENAI_RESPONSES = Codec(
    dialect=Dialect.OPENAI_RESPONSES, family="openai",
    decode_request=rs_req_in.decode_request, encode_request=rs_req_out.encode_request,
    decode_response=rs_resp_in.decode_response, encode_response=rs_resp_out.encode_response,
    stream_decoder=rs_stream_in.StreamDecoder, stream_encoder=rs_stream_out.StreamEncoder,
    assemble=rs_asm.assemble, safe_name=oc_common.safe_name, tool_names=rs_req_in.tool_names,
    read_count=rs_resp_in.read_count, count_body=rs_resp_out.count_body,
)


def _codex_encode(req: Request, opts: EncodeOptions) -> dict[str, Any]:
    body, removed = codex_env.force(rs_req_out.encode_request(req, opts))
    for k in removed:
        opts.warn(f"codex: {k} is not accepted by the Codex backend; dropped")
    return body


CODEX = replace(OPENAI_RESPONSES, dialect=Dialect.CODEX, encode_request=_codex_encode,
                decode_request=_not_client, encode_response=_not_client, stream_encoder=_not_client)

GEMINI = Codec(
    dialect=Dialect.GEMINI, family="gemini",
    decode_request=gm_req_in.decode_request, encode_request=gm_req_out.encode_request,
    decode_response=gm_resp_in.decode_response, encode_response=gm_resp_out.encode_response,
    stream_decoder=gm_stream_in.StreamDecoder, stream_encoder=gm_stream_out.StreamEncoder,
    assemble=gm_asm.assemble, safe_name=gm_common.safe_name, tool_names=gm_req_in.tool_names,
    read_count=gm_resp_in.read_count, count_body=gm_resp_out.count_body,
)


def _cli_encode(req: Request, opts: EncodeOptions) -> dict[str, Any]:
    opts.family = "gemini"
    return cli_env.wrap(gm_req_out.encode_request(req, opts), opts.model, count_only=opts.count_only)


def _wrapped_assemble(events: Iterable[UpstreamEvent]) -> bytes:
    return b'{"response":' + gm_asm.assemble(events) + b"}"


GEMINI_CLI = replace(GEMINI, dialect=Dialect.GEMINI_CLI, encode_request=_cli_encode,
                     decode_request=_not_client, encode_response=_not_client, stream_encoder=_not_client,
                     assemble=_wrapped_assemble)


def _ag_encode(req: Request, opts: EncodeOptions) -> dict[str, Any]:
    opts.family = "antigravity"
    if ag_env.strict_schemas(opts.model):
        opts.variant = "antigravity"
    body = gm_req_out.encode_request(req, opts)
    if ag_env.is_claude(opts.model):
        tail = body["contents"]
        body["contents"] = ag_env.continue_prefill(tail)
        if body["contents"] is not tail:
            opts.warn("antigravity: a trailing assistant prefill was turned into a 'Continue from:' user turn")
    return ag_env.wrap(body, opts.model, count_only=opts.count_only)


def _ag_decode_response(body: bytes, names: NameMap, warnings: list[str]) -> Response:
    return gm_resp_in.decode_response(body, names, warnings, origin="antigravity")


def _ag_stream_decoder(names: NameMap, warnings: list[str]) -> StreamDecoder:
    return gm_stream_in.StreamDecoder(names, warnings, origin="antigravity")


ANTIGRAVITY = replace(GEMINI, dialect=Dialect.ANTIGRAVITY, family="antigravity", encode_request=_ag_encode,
                      decode_request=_not_client, encode_response=_not_client, stream_encoder=_not_client,
                      decode_response=_ag_decode_response, stream_decoder=_ag_stream_decoder,
                      assemble=_wrapped_assemble)


def codec(d: Dialect) -> Codec:
    match d:
        case Dialect.ANTHROPIC:
            return ANTHROPIC
        case Dialect.OPENAI_CHAT:
            return OPENAI_CHAT
        case Dialect.OPENAI_RESPONSES:
            return OPENAI_RESPONSES
        case Dialect.CODEX:
            return CODEX
        case Dialect.GEMINI:
            return GEMINI
        case Dialect.GEMINI_CLI:
            return GEMINI_CLI
        case Dialect.ANTIGRAVITY:
            return ANTIGRAVITY
        case _:
            raise KeyError(f"no codec for dialect {d}")
