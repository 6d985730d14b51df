"""Logging with redaction, usage records and metrics."""
