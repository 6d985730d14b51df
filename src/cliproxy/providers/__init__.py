"""Upstream channels: endpoint, authentication, quirks and model catalog. No wire-format code."""
