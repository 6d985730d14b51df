"""Every client request case × every upstream the router serves: the translated body passes the
destination's strict schema and carries the case's facts (or drops them with a warning).

Generated from the router and the case folders, so a new pair or a new case needs no new code.
"""

from __future__ import annotations

import pytest

from cliproxy.translate.router import CLIENT_DIALECTS, UPSTREAM_DIALECTS
from translate.support.cases import request_cases
from translate.support.checks import request_case

PARAMS = [pytest.param(case, dst, id=f"{case.dialect.value}:{case.name}->{dst.value}")
          for src in CLIENT_DIALECTS for case in request_cases(src) for dst in UPSTREAM_DIALECTS]


def test_every_client_dialect_has_cases() -> None:
    for src in CLIENT_DIALECTS:
        assert len(request_cases(src)) >= 5, src


@pytest.mark.parametrize(("case", "dst"), PARAMS)
def test_request_translation(case, dst) -> None:
    errs, _ = request_case(case, dst)
    assert not errs, "\n".join(errs)
