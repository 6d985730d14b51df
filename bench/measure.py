"""What the harness reads from /proc: CPU time and RSS of process trees, busy time of each core.

CPU of a process = utime + stime + cutime + cstime from /proc/<pid>/stat (clock ticks, 10 ms), summed
over the whole process tree (nginx master + worker, a proxy's helpers). /proc/<pid>/task/*/schedstat
gives the same in nanoseconds for live threads; it is kept as a cross-check for short runs.
"Foreign" CPU = user+nice+system time of all cores (/proc/stat) minus everything the harness knows
about (proxy tree, upstream, load generator, the harness itself): other programs on a shared box.
"""
from __future__ import annotations

import os
import threading
import time

CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    return s[s.rindex(")") + 2:].split()  # fields from 3 (state) on; comm may contain spaces


def process_tree(root: int) -> list[int]:
    """root and all its descendants, found through the ppid field of every /proc/<pid>/stat."""
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            v = _stat_fields(int(d))
            if v:
                kids.setdefault(int(v[1]), []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for p in pids:
        v = _stat_fields(p)
        if v:
            total += int(v[11]) + int(v[12]) + int(v[13]) + int(v[14])
    return total / CLK


def schedstat_seconds(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/schedstat") as f:
                    total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, ValueError, IndexError):
            pass
    return total


def core_times() -> dict[str, tuple[int, int, int, int]]:
    """per core: (busy jiffies, all jiffies, user+nice+system jiffies, steal jiffies)."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                name, *vals = line.split()
                v = [int(x) for x in vals]
                idle = v[3] + v[4]
                out[name[3:]] = (sum(v[:8]) - idle, sum(v[:8]), v[0] + v[1] + v[2], v[7])
    return out


class RssSampler(threading.Thread):
    """Samples the RSS of a process tree every `interval` s (the tree is re-read every 2 s)."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak = self.last = 0
        self._halt = threading.Event()

    def run(self) -> None:
        pids, n = process_tree(self.root), 0
        while not self._halt.is_set():
            n += 1
            if n % 20 == 0:
                pids = process_tree(self.root)
            self.last = rss_bytes(pids)
            self.peak = max(self.peak, self.last)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(2)


class Window:
    """CPU accounting around one load run. Usage: w = Window(proxy_pid, upstream_pid); w.start();
    ...run the load...; res = w.stop(loadgen_cpu_s)."""

    def __init__(self, proxy_pid: int | None, upstream_pid: int, proxy_cpu: int, load_cpu: int) -> None:
        self.proxy_pid, self.upstream_pid = proxy_pid, upstream_pid
        self.proxy_cpu, self.load_cpu = str(proxy_cpu), str(load_cpu)
        self.sampler = RssSampler(proxy_pid) if proxy_pid else None

    def start(self) -> None:
        if self.sampler:
            self.sampler.start()
            time.sleep(0.15)
            self.rss_base = self.sampler.last
            self.pids = process_tree(self.proxy_pid)
            self.c0 = cpu_seconds(self.pids)
            self.n0 = schedstat_seconds(self.pids)
        self.u0 = cpu_seconds(process_tree(self.upstream_pid))
        self.cores0 = core_times()
        self.self0 = sum(os.times()[:2])
        self.t0 = time.perf_counter()

    def stop(self, loadgen_cpu: float) -> dict:
        wall = time.perf_counter() - self.t0
        cores1 = core_times()
        self_cpu = sum(os.times()[:2]) - self.self0
        up = cpu_seconds(process_tree(self.upstream_pid)) - self.u0
        r: dict = {"wall_s": round(wall, 3), "loadgen_cpu_s": round(loadgen_cpu, 3),
                   "upstream_cpu_pct": round(100 * up / wall, 1)}
        proxy = 0.0
        if self.sampler:
            pids = sorted(set(self.pids) | set(process_tree(self.proxy_pid)))
            proxy = cpu_seconds(pids) - self.c0
            self.sampler.stop()
            r.update(proxy_cpu_s=round(proxy, 3), proxy_cpu_pct=round(100 * proxy / wall, 1),
                     proxy_cpu_s_schedstat=round(schedstat_seconds(pids) - self.n0, 4),
                     rss_base_mb=round(self.rss_base / 2**20, 1), rss_peak_mb=round(self.sampler.peak / 2**20, 1),
                     rss_peak_bytes=self.sampler.peak, rss_base_bytes=self.rss_base)
        busy = {}
        for core, (b1, t1, _, _) in cores1.items():
            b0, t0, _, _ = self.cores0[core]
            busy[core] = round(100 * (b1 - b0) / (t1 - t0), 1) if t1 > t0 else None
        r["load_core_busy_pct"] = busy.get(self.load_cpu)
        r["proxy_core_busy_pct"] = busy.get(self.proxy_cpu)
        r["harness_bound"] = bool(r["load_core_busy_pct"] and r["load_core_busy_pct"] > 90)
        all_proc = sum(cores1[c][2] - self.cores0[c][2] for c in cores1) / CLK
        known = proxy + up + loadgen_cpu + self_cpu
        r["foreign_cpu_pct"] = round(max(0.0, 100 * (all_proc - known) / wall), 1)
        # time the hypervisor gave the vCPUs to someone else (% of one core); not in any process's CPU
        r["steal_pct"] = round(100 * sum(cores1[c][3] - self.cores0[c][3] for c in cores1) / CLK / wall, 1)
        return r


def wait_for_quiet(max_pct: float, max_wait: float, step: float = 0.5) -> tuple[float, float]:
    """Before a run, while all our processes idle: waits (at most max_wait s) until the whole box
    uses at most max_pct % of one core. Returns (seconds waited, last busy %)."""
    t0 = time.perf_counter()
    while True:
        a = core_times()
        time.sleep(step)
        b = core_times()
        busy = sum(b[c][0] - a[c][0] for c in b)
        total = sum(b[c][1] - a[c][1] for c in b) / max(1, len(b))  # jiffies of one core
        pct = 100.0 * busy / total if total else 0.0
        waited = time.perf_counter() - t0
        if pct <= max_pct or waited >= max_wait:
            return round(waited, 1), round(pct, 1)


def machine_info() -> dict:
    info = {"nproc": os.cpu_count(), "kernel": os.uname().release}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            info["mem_gb"] = round(int(f.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    return info
