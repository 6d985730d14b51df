"""Fixtures for the subscription-account tests: the extra providers registered, a temp auth dir."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cliproxy.http.client import HttpPool


@pytest.fixture
def auth_dir(tmp_path: Path) -> Path:
    d = tmp_path / "auths"
    d.mkdir(mode=0o700)
    return d


@pytest.fixture
async def pool_factory() -> AsyncIterator:
    pools: list[HttpPool] = []

    def make(overrides: dict[str, str]) -> HttpPool:
        p = HttpPool(overrides=overrides)
        pools.append(p)
        return p

    yield make
    for p in pools:
        await p.close()
