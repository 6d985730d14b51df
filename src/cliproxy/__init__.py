"""cliproxy: one local server that serves subscription logins and API keys as OpenAI, Anthropic and Gemini APIs."""

__version__ = "0.1.0"
