"""Translation: passthrough when dialects match, an envelope pair, else the typed IR hub."""
