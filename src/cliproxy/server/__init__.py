"""HTTP surface: routes per dialect, client-key auth, streaming, error rendering (aiohttp.web)."""
