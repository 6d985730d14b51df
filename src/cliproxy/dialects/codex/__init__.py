"""Codex (ChatGPT backend): the Responses dialect plus forced fields (providers.md §8.4)."""
