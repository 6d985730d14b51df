"""Model registry and resolution, credential selection, cooldowns and retry policy."""
