"""Wire dialects: one package per dialect, pure (no I/O, no provider names)."""
