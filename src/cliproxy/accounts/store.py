"""Where auth records live: the ``AuthStore`` interface and its auth-dir implementation.

``FileAuthStore`` keeps CLIProxyAPI's layout: one ``*.json`` object per account directly inside
``auth-dir`` (default ``~/.cli-proxy-api``); names starting with ``.`` are ignored (temp files,
our state snapshot). Writes are atomic: a temp file in the same directory, fsync, chmod 0600,
rename, then an fsync of the directory; the directory is created 0700. A write whose JSON equals
the file's current content is skipped, so a reload triggered by our own write changes nothing.

A file that is not a JSON object, or has no ``type``, is reported once (per content version) with
its name and skipped. A Postgres store (a later issue) implements the same protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from cliproxy.accounts.records import AuthRecord

log = logging.getLogger("cliproxy.accounts.store")

DEFAULT_AUTH_DIR = "~/.cli-proxy-api"
STATE_FILE = ".cliproxy-state"  # no .json suffix: CLIProxyAPI and our watcher both skip it


class CorruptAuthFile(Exception):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class AuthStore(Protocol):
    """Storage for auth records. Every method is async so remote stores fit the same shape."""

    @property
    def location(self) -> str: ...

    async def list(self) -> list[AuthRecord]:
        """Every readable record; unreadable ones are reported (once) and skipped."""
        ...

    async def load(self, name: str) -> AuthRecord | None:
        """One record, None when it does not exist (or is unreadable: reported, then None)."""
        ...

    async def save(self, record: AuthRecord) -> bool:
        """Persist a record; False when the stored content was already equal."""
        ...

    async def delete(self, name: str) -> None: ...

    async def load_state(self) -> dict[str, Any]:
        """The last account-state snapshot (for ``cliproxy accounts``)."""
        ...

    async def save_state(self, state: dict[str, Any]) -> None: ...


def resolve_auth_dir(configured: str) -> Path:
    """``auth-dir`` as a path: ``~`` expanded, made absolute; empty means the CLIProxyAPI default."""
    return Path(os.path.abspath(Path(configured or DEFAULT_AUTH_DIR).expanduser()))


def is_auth_file_name(name: str) -> bool:
    return name.endswith(".json") and not name.startswith(".") and "/" not in name and "\\" not in name


def encode_record(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def write_atomic(path: Path, payload: bytes) -> None:
    """Temp file in the same dir, fsync, 0600, rename over ``path``, fsync the dir."""
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):
        with contextlib.suppress(OSError):
            dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)


def parse_record(name: str, raw: bytes) -> AuthRecord:
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptAuthFile(name, f"not valid JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise CorruptAuthFile(name, "not a JSON object")
    rec = AuthRecord(name, obj)
    if not rec.type:
        raise CorruptAuthFile(name, 'no "type" field')
    return rec


class FileAuthStore:
    """The auth dir. Blocking file work runs in a worker thread, never on the event loop."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = resolve_auth_dir(str(directory))
        self._reported: dict[str, tuple[int, int]] = {}

    @property
    def location(self) -> str:
        return str(self.directory)

    def path_of(self, name: str) -> Path:
        if not is_auth_file_name(name):
            raise ValueError(f"not an auth file name: {name!r}")
        return self.directory / name

    # ------------------------------------------------------------------ reading
    def _read(self, name: str) -> AuthRecord | None:
        path = self.directory / name
        try:
            st = path.stat()
            raw = path.read_bytes()
        except FileNotFoundError:
            self._reported.pop(name, None)
            return None
        except OSError as exc:
            self._report(name, (0, 0), f"cannot be read ({exc.strerror or exc})")
            return None
        try:
            rec = parse_record(name, raw)
        except CorruptAuthFile as exc:
            self._report(name, (st.st_mtime_ns, st.st_size), exc.reason)
            return None
        self._reported.pop(name, None)
        return rec

    def _report(self, name: str, signature: tuple[int, int], reason: str) -> None:
        if self._reported.get(name) == signature:
            return
        self._reported[name] = signature
        log.error("auth file %s is skipped: %s", self.directory / name, reason)

    def _list(self) -> list[AuthRecord]:
        try:
            names = sorted(p.name for p in self.directory.iterdir() if is_auth_file_name(p.name) and p.is_file())
        except FileNotFoundError:
            return []
        out = []
        for name in names:
            rec = self._read(name)
            if rec is not None:
                out.append(rec)
        return out

    async def list(self) -> list[AuthRecord]:
        return await asyncio.to_thread(self._list)

    async def load(self, name: str) -> AuthRecord | None:
        if not is_auth_file_name(name):
            return None
        return await asyncio.to_thread(self._read, name)

    # ------------------------------------------------------------------ writing
    def _save(self, record: AuthRecord) -> bool:
        path = self.path_of(record.name)
        try:
            current = json.loads(path.read_bytes())
        except (OSError, ValueError):
            current = None
        if current == record.data:
            return False
        write_atomic(path, encode_record(record.data))
        return True

    async def save(self, record: AuthRecord) -> bool:
        return await asyncio.to_thread(self._save, record)

    def _delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_of(name).unlink()

    async def delete(self, name: str) -> None:
        await asyncio.to_thread(self._delete, name)

    # ------------------------------------------------------------------ state snapshot
    def _load_state(self) -> dict[str, Any]:
        try:
            obj = json.loads((self.directory / STATE_FILE).read_bytes())
        except (OSError, ValueError):
            return {}
        return obj if isinstance(obj, dict) else {}

    async def load_state(self) -> dict[str, Any]:
        return await asyncio.to_thread(self._load_state)

    async def save_state(self, state: dict[str, Any]) -> None:
        await asyncio.to_thread(write_atomic, self.directory / STATE_FILE, encode_record(state))
