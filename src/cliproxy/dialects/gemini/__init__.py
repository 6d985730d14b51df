"""Gemini generateContent: request/response codecs, SSE decoder and encoder, schema cleaner."""

FAMILY = "gemini"
