"""A server whose log file sits in the watched config directory stays quiet when idle.

Each write to that file is a change in the directory the config watcher watches. watchfiles logs
every change it sees at INFO, so without care one unrelated file saved beside the config starts a
loop: the log line about a change is itself the next change, ten lines a second, forever.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_idle_server_logging_into_its_config_dir_does_not_feed_itself(tmp_path: Path) -> None:
    port = _free_port()
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"host: 127.0.0.1\nport: {port}\napi-keys: [k]\nauth-dir: {tmp_path / 'auths'}\n")
    log_path = tmp_path / "cliproxy.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "cliproxy", "--config", str(cfg)], stdout=log,
                                stderr=subprocess.STDOUT, cwd=tmp_path, env={**os.environ, "HOME": str(tmp_path)})
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start:\n" + log_path.read_text()
                time.sleep(0.05)
        time.sleep(1.0)  # start-up lines are written; the watcher is live
        (tmp_path / "notes.txt").write_text("an editor saves something beside the config\n")
        time.sleep(1.0)
        settled = log_path.stat().st_size
        time.sleep(2.0)
        grown = log_path.read_bytes()[settled:].decode(errors="replace")
        assert grown == "", f"an idle server kept logging:\n{grown[:500]}"
    finally:
        proc.terminate()
        proc.wait(10)
