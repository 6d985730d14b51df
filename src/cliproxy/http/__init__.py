"""The only place upstream HTTP clients are built: pools, timeouts, proxies, URL overrides."""
