#!/usr/bin/env python3
"""The Python floor: the least an aiohttp proxy can do. Forwards every request as it is to one
upstream through a pooled keep-alive ClientSession, and relays SSE answers read by read.
usage: floor_proxy.py --port PORT --upstream http://127.0.0.1:UPSTREAM_PORT"""
import argparse

import aiohttp
from aiohttp import web

DROP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}


async def forward(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    headers = {k: v for k, v in request.headers.items() if k.lower() not in DROP}
    session: aiohttp.ClientSession = request.app["session"]
    async with session.request(request.method, request.app["upstream"] + request.path_qs,
                               data=body, headers=headers) as up:
        out_headers = {k: v for k, v in up.headers.items() if k.lower() not in DROP}
        if not up.headers.get("Content-Type", "").startswith("text/event-stream"):
            return web.Response(status=up.status, headers=out_headers, body=await up.read())
        resp = web.StreamResponse(status=up.status, headers=out_headers)
        await resp.prepare(request)
        async for data in up.content.iter_any():
            await resp.write(data)
        await resp.write_eof()
        return resp


async def client_session(app: web.Application):
    app["session"] = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=120), auto_decompress=False,
        timeout=aiohttp.ClientTimeout(total=None, sock_read=600))
    yield
    await app["session"].close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True)
    a = ap.parse_args()
    app = web.Application()
    app["upstream"] = a.upstream.rstrip("/")
    app.cleanup_ctx.append(client_session)
    app.router.add_route("*", "/{path:.*}", forward)
    try:
        import uvloop
        loop_factory = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    web.run_app(app, host="127.0.0.1", port=a.port, access_log=None, print=None, backlog=4096,
                loop=loop_factory() if loop_factory else None)


if __name__ == "__main__":
    main()
