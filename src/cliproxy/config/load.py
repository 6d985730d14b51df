"""Read config.yaml into an immutable ``Config``: every problem at once, with line numbers.

``parse_config_text`` is pure; ``load_config`` adds the file, its hash and CLIProxyAPI's ``.env``
auto-loading; ``find_config`` says where the file lives when ``--config`` is not given.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from cliproxy.config.errors import ConfigError, Problem
from cliproxy.config.redact import diff_configs, redact
from cliproxy.config.sanitize import Sanitiser
from cliproxy.config.schema import Config
from cliproxy.config.walk import Walker

__all__ = [
    "LoadedConfig",
    "diff_configs",
    "find_config",
    "is_cloud_deploy",
    "load_config",
    "load_dotenv",
    "parse_config_bytes",
    "parse_config_text",
    "redact",
    "restart_needed",
]

RESTART_KEYS = ("host", "port", "tls.enable", "tls.cert", "tls.key", "commercial-mode")


@dataclass(frozen=True)
class LoadedConfig:
    config: Config
    warnings: list[Problem] = field(default_factory=list)
    path: Path | None = None
    sha256: str = ""


@lru_cache(maxsize=1)
def _config_type() -> mi.StructType:
    info = mi.type_info(Config)
    assert isinstance(info, mi.StructType)
    return info


@lru_cache(maxsize=1)
def _nested_keys() -> dict[str, str]:
    """Leaf name -> full path, for keys that live one level down (``strategy`` -> ``routing.strategy``)."""
    top = {f.encode_name for f in _config_type().fields}
    out: dict[str, str] = {}
    for f in _config_type().fields:
        if isinstance(f.type, mi.StructType):
            for sub in f.type.fields:
                if sub.encode_name not in top:
                    out.setdefault(sub.encode_name, f"{f.encode_name}.{sub.encode_name}")
    return out


def _syntax_problem(exc: YAMLError) -> Problem:
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            what = f"{exc.problem} ({exc.context})"
        if mark is not None:
            return Problem("(yaml syntax)", mark.line + 1, "", "", what, column=mark.column + 1)
        return Problem("(yaml syntax)", None, "", "", what)
    return Problem("(yaml syntax)", None, "", "", str(exc).strip() or "invalid YAML")


def parse_config_text(text: str, source: str = "<string>") -> tuple[Config, list[Problem]]:
    """The config in ``text`` plus warnings; raises ConfigError listing every problem."""
    yaml = YAML(typ="rt")
    try:
        docs = list(yaml.compose_all(io.StringIO(text)))
    except YAMLError as exc:
        raise ConfigError([_syntax_problem(exc)], source) from None
    docs = [d for d in docs if d is not None and d.tag != "tag:yaml.org,2002:null"]
    if not docs:
        return Config(), []
    walker = Walker(_nested_keys())
    data = walker.struct(docs[0], _config_type(), "")
    if len(docs) > 1:
        walker.warn("(document)", int(docs[1].start_mark.line) + 1,
                    "only the first YAML document is read; the rest is ignored")
    problems = list(walker.problems)
    warnings = list(walker.warnings)
    if isinstance(data, dict):
        san = Sanitiser(walker.lines)
        san.run(data)
        problems += san.problems
        warnings += san.warnings
    if problems:
        problems.sort(key=lambda p: (p.line is None, p.line or 0))
        warnings.sort(key=lambda p: (p.line is None, p.line or 0))
        raise ConfigError(problems, source, warnings)
    try:
        cfg = msgspec.convert(data, Config)
    except msgspec.ValidationError as exc:  # a gap between walker and schema; still report it
        raise ConfigError([Problem("(schema)", None, "", "", str(exc))], source) from None
    warnings.sort(key=lambda p: (p.line is None, p.line or 0))
    return cfg, warnings


def parse_config_bytes(data: bytes, source: str = "<bytes>") -> tuple[Config, list[Problem]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem("(file)", None, "", "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")],
                          source) from None
    return parse_config_text(text, source)


# -- .env ----------------------------------------------------------------------------------------

def _parse_dotenv(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key or not key.replace("_", "").replace(".", "").isalnum():
            continue
        value = value.strip()
        if value[:1] in ("'", '"'):
            q = value[0]
            end = value.find(q, 1)
            value = value[1:end] if end > 0 else value[1:]
            if q == '"':
                value = value.replace("\\n", "\n")
        else:
            hash_at = value.find(" #")
            if hash_at >= 0:
                value = value[:hash_at].rstrip()
        out[key] = value
    return out


def load_dotenv(directory: str | Path, environ: dict[str, str] | None = None) -> list[str]:
    """Load ``directory/.env`` into the environment without overriding; returns the names set."""
    env = os.environ if environ is None else environ
    path = Path(directory) / ".env"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return []
    added = []
    for k, v in _parse_dotenv(text).items():
        if k not in env:
            env[k] = v
            added.append(k)
    return added


def is_cloud_deploy(environ: dict[str, str] | None = None) -> bool:
    """``DEPLOY=cloud``: tolerate a missing/empty/invalid config and idle until a valid one appears."""
    env = os.environ if environ is None else environ
    return env.get("DEPLOY", "") == "cloud"


# -- files ---------------------------------------------------------------------------------------

def load_config(path: str | Path, *, optional: bool | None = None) -> LoadedConfig:
    """Load config.yaml (after its directory's ``.env``).

    Raises OSError when the file cannot be read and ConfigError when it is invalid, unless
    ``optional`` (default: ``DEPLOY=cloud``), in which case a missing, empty or invalid file gives
    the default Config with the reason as a warning, as CLIProxyAPI's cloud standby does.
    """
    p = Path(path).expanduser()
    load_dotenv(p.parent)
    if optional is None:
        optional = is_cloud_deploy()
    try:
        data = p.read_bytes()
    except (FileNotFoundError, IsADirectoryError) as exc:
        if optional:
            return LoadedConfig(Config(), [_standby(f"{exc.strerror}: waiting for a config file")], p, "")
        raise
    sha = hashlib.sha256(data).hexdigest()
    if optional and not data.strip():
        return LoadedConfig(Config(), [_standby("config file is empty: waiting for a config")], p, sha)
    try:
        cfg, warnings = parse_config_bytes(data, str(p))
    except ConfigError as exc:
        if optional:
            return LoadedConfig(Config(), [_standby("config is invalid; using defaults"), *exc.problems], p, sha)
        raise
    return LoadedConfig(cfg, warnings, p, sha)


def _standby(message: str) -> Problem:
    return Problem("(file)", None, "", "", f"DEPLOY=cloud standby: {message}")


def find_config(explicit: str | None) -> Path | None:
    """``--config PATH``; else ./config.yaml; else $XDG_CONFIG_HOME/cliproxy/config.yaml."""
    if explicit:
        return Path(explicit).expanduser()
    local = Path("config.yaml")
    if local.is_file():
        return local
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    user = Path(xdg) / "cliproxy" / "config.yaml"
    if user.is_file():
        return user
    return None


def default_config_path() -> Path:
    """Where ``write_default_config`` puts a first config when none exists."""
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(xdg) / "cliproxy" / "config.yaml"


def restart_needed(old: Config, new: Config) -> list[str]:
    """Keys that changed but only take effect after a restart (the listener and its middleware)."""
    changed = []
    for key in RESTART_KEYS:
        if _get(old, key) != _get(new, key):
            changed.append(key)
    return changed


def _get(cfg: Any, dotted: str) -> Any:
    cur = cfg
    for part in dotted.split("."):
        cur = getattr(cur, part.replace("-", "_"))
    return cur
