"""Anthropic Messages: request/response codecs, SSE stream decoder and encoder, assembler."""

FAMILY = "claude"
