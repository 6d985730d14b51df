"""OpenAI Chat Completions: request/response codecs, SSE stream decoder and encoder, assembler."""

FAMILY = "openai"
