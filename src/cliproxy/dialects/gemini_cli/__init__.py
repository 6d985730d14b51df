"""Gemini CLI (Cloud Code Assist ``v1internal``): an envelope around Gemini (providers.md §2.2)."""
