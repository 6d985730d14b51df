"""Registry resolution, selection and the cooldown state machine (pure, with a fake clock)."""

from __future__ import annotations

import pytest

from cliproxy.app import build_runtime
from cliproxy.errors import Scope, UpstreamError
from cliproxy.routing.cooldown import CooldownBook
from cliproxy.routing.selector import Selector
from cliproxy.routing.thinking import split_suffix
from proxy_harness import config_from


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def rt(data):
    return build_runtime(config_from(data))


def compat(name, *models, prefix="", priority=0, keys=("k",), excluded=()):
    return {"name": name, "base-url": f"http://{name}.test/v1", "prefix": prefix, "priority": priority,
            "api-key-entries": [{"api-key": k} for k in keys], "excluded-models": list(excluded),
            "models": [{"name": n, "alias": a} for n, a in models]}


def err(status, retry=None, unsupported=False):
    return UpstreamError("x", status=status, scope=Scope.CREDENTIAL, retry_after=retry,
                         model_unsupported=unsupported)


def test_aliases_prefixes_and_pools():
    r = rt({"openai-compatibility": [
        compat("a", ("up-1", "pool"), ("up-2", "pool"), ("real", "nice"), prefix="team"),
    ]})
    ids = [m for m, _e, _o in r.registry.listing()]
    assert set(ids) == {"pool", "team/pool", "nice", "team/nice"}
    (route,) = r.registry.resolve("pool")
    assert route.entry.upstream == ("up-1", "up-2")
    assert r.registry.resolve("real") == []  # only the alias is exposed


def test_force_model_prefix_hides_unprefixed():
    r = rt({"force-model-prefix": True, "openai-compatibility": [compat("a", ("m", "m"), prefix="team"),
                                                                 compat("b", ("m", "m"))]})
    assert [x.cred.provider for x in r.registry.resolve("m")] == ["openai-compat:b"]
    assert [x.cred.provider for x in r.registry.resolve("team/m")] == ["openai-compat:a"]


def test_excluded_models_wildcards():
    r = rt({"claude-api-key": [{"api-key": "k", "excluded-models": ["*opus*", "claude-3-*"]}]})
    ids = {m for m, _e, _o in r.registry.listing()}
    assert "claude-sonnet-4-6" in ids
    assert not any("opus" in i or i.startswith("claude-3-") for i in ids)


def test_round_robin_fill_first_and_priority():
    clock = Clock()
    book = CooldownBook(clock)
    sel = Selector(book, clock)
    r = rt({"openai-compatibility": [compat("a", ("m", "m"), keys=("k1", "k2", "k3")),
                                     compat("b", ("m", "m"), priority=5, keys=("p1", "p2"))]})
    routes = r.registry.resolve("m")
    picks = [sel.pick("m", routes, strategy="round-robin", exclude=set()).cred.secret for _ in range(4)]
    assert picks == ["p1", "p2", "p1", "p2"] or picks == ["p2", "p1", "p2", "p1"]  # only the top priority group
    ff = {sel.pick("m", routes, strategy="fill-first", exclude=set()).cred.secret for _ in range(3)}
    assert len(ff) == 1
    # the top group cooling down lets the lower group serve
    for x in routes:
        if x.cred.priority == 5:
            book.failure(x.cred.id, "m", err(429, retry=10))
    assert sel.pick("m", routes, strategy="round-robin", exclude=set()).cred.priority == 0
    clock.t += 11
    assert sel.pick("m", routes, strategy="round-robin", exclude=set()).cred.priority == 5


def test_session_affinity_sticks_and_fails_over():
    clock = Clock()
    book = CooldownBook(clock)
    sel = Selector(book, clock)
    routes = rt({"openai-compatibility": [compat("a", ("m", "m"), keys=("k1", "k2", "k3"))]}).registry.resolve("m")
    first = sel.pick("m", routes, strategy="round-robin", exclude=set(), session_key="s1")
    for _ in range(5):
        assert sel.pick("m", routes, strategy="round-robin", exclude=set(), session_key="s1") is first
    book.failure(first.cred.id, "m", err(500))
    other = sel.pick("m", routes, strategy="round-robin", exclude=set(), session_key="s1")
    assert other is not first


@pytest.mark.parametrize(("status", "expected", "reason"), [
    (401, 1800, "unauthorized"), (402, 1800, "payment_required"), (403, 1800, "payment_required"),
    (404, 43200, "not_found"), (500, 60, "transient"), (503, 60, "transient"), (408, 60, "transient"),
])
def test_cooldown_table(status, expected, reason):
    clock = Clock()
    book = CooldownBook(clock)
    book.failure("c", "m", err(status))
    assert book.blocked_for("c", "m") == pytest.approx(expected)
    assert book.state("c", "m").reason == reason


def test_quota_cooldown_uses_hint_then_exponential_backoff():
    clock = Clock()
    book = CooldownBook(clock)
    book.failure("c", "m", err(429, retry=7.5))
    assert book.blocked_for("c", "m") == pytest.approx(7.5)
    assert book.is_quota("c", "m")
    book.success("c", "m")
    waits = []
    for _ in range(4):
        book.failure("c", "m", err(429))
        waits.append(book.blocked_for("c", "m"))
    assert waits == [1, 2, 4, 8]
    book.success("c", "m")
    assert book.blocked_for("c", "m") == 0 and not book.is_quota("c", "m")


def test_cooldown_disabled_records_but_does_not_block():
    book = CooldownBook(Clock())
    book.failure("c", "m", err(429, retry=30), cooling=False)
    assert book.blocked_for("c", "m") == 0
    assert book.state("c", "m").failed == 1


def test_model_unsupported_is_twelve_hours():
    book = CooldownBook(Clock())
    book.failure("c", "m", err(400, unsupported=True))
    assert book.blocked_for("c", "m") == 12 * 3600


@pytest.mark.parametrize(("model", "base", "mode", "budget", "level"), [
    ("gpt-5(high)", "gpt-5", "level", None, "high"),
    ("gemini-2.5-pro(8192)", "gemini-2.5-pro", "budget", 8192, None),
    ("claude(none)", "claude", "none", 0, None),
    ("m(auto)", "m", "auto", -1, None),
    ("m(-1)", "m", "auto", -1, None),
])
def test_thinking_suffix(model, base, mode, budget, level):
    b, t, _ = split_suffix(model)
    assert b == base and t is not None
    assert (t.mode, t.budget, t.level) == (mode, budget, level)


def test_suffix_that_is_not_thinking_is_kept():
    assert split_suffix("model(weird)")[0] == "model(weird)"
    assert split_suffix("plain")[1] is None
