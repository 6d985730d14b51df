"""Antigravity (Cloud Code Assist, IDE flavour): the Gemini CLI envelope plus fields (providers.md §6.3)."""
