"""Wall time, CPU time and peak RSS of a process tree, sampled with psutil.

`measure(cmd, env=...)` starts a command and samples it and all its descendants every
`interval` seconds from a thread: the peak is the largest sum of resident set sizes seen
at one sample (so a short spike between two samples can be missed: the interval is in
the result). CPU seconds are user + system of the whole tree, taken from the live
processes at each sample and, for children that ended, from the kernel's accounting of
waited-for children (resource.getrusage(RUSAGE_CHILDREN)).
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field

import psutil


@dataclass
class Measurement:
    wall_s: float
    cpu_s: float
    peak_rss_bytes: int
    samples: int
    interval_s: float
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    max_processes: int = 0
    timeline: list = field(default_factory=list)

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("stdout")
        d.pop("stderr")
        d.pop("timeline")
        d["peak_rss_mib"] = round(self.peak_rss_bytes / 2**20, 1)
        return d


@dataclass
class TreeSampler:
    """Samples the tree rooted at `pid` until stop(): peak summed RSS, CPU seconds."""
    pid: int
    interval: float = 0.1
    peak_rss: int = 0
    samples: int = 0
    max_processes: int = 0
    _cpu: dict = field(default_factory=dict)        # pid -> (create_time, cpu seconds)
    timeline: list = field(default_factory=list)    # (epoch s, summed RSS, CPU s so far)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> "TreeSampler":
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def sample(self) -> None:
        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        rss = 0
        alive = 0
        for p in procs:
            try:
                with p.oneshot():
                    rss += p.memory_info().rss
                    t = p.cpu_times()
                    self._cpu[p.pid] = (p.create_time(), t.user + t.system)
                alive += 1
            except psutil.Error:
                continue
        self.samples += 1
        self.peak_rss = max(self.peak_rss, rss)
        self.timeline.append((time.time(), rss, self.sampled_cpu))
        self.max_processes = max(self.max_processes, alive)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    @property
    def sampled_cpu(self) -> float:
        return sum(c for _, c in self._cpu.values())


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure(cmd: list[str], *, env: dict | None = None, cwd: str | None = None,
            interval: float = 0.1, timeout: float | None = None,
            echo: bool = False) -> Measurement:
    """Run `cmd` to the end under the sampler. stdout/stderr are captured (stderr is
    also echoed line by line when `echo`)."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid, interval).start()
    err_lines: list[str] = []

    def pump_err():
        for line in proc.stderr:
            err_lines.append(line)
            if echo:
                print("    | " + line.rstrip()[:200], flush=True)

    t = threading.Thread(target=pump_err, daemon=True)
    t.start()
    try:
        out = proc.stdout.read()
        proc.wait(timeout=timeout)
    finally:
        wall = time.perf_counter() - started
        sampler.stop()
        t.join(timeout=5)
    # Waited-for descendants are accounted to this process's RUSAGE_CHILDREN only when
    # each parent waits for its own children; the live samples cover the others.
    cpu = max(_children_cpu() - cpu_before, sampler.sampled_cpu)
    return Measurement(wall_s=wall, cpu_s=cpu, peak_rss_bytes=sampler.peak_rss,
                       samples=sampler.samples, interval_s=interval,
                       returncode=proc.returncode, stdout=out, stderr="".join(err_lines),
                       max_processes=sampler.max_processes, timeline=sampler.timeline)


def window_stats(timeline: list, intervals: list[tuple[float, float]]) -> dict:
    """CPU seconds and peak RSS of the samples inside the given (start, end) epoch
    intervals: CPU is the growth of the tree's CPU time from the last sample at or
    before each start to the first sample at or after its end."""
    if not timeline or not intervals:
        return {"cpu_s": None, "peak_rss_bytes": None}
    cpu = 0.0
    peak = 0
    times = [t for t, _, _ in timeline]
    import bisect
    for start, end in intervals:
        i = max(bisect.bisect_right(times, start) - 1, 0)
        j = min(bisect.bisect_left(times, end), len(times) - 1)
        cpu += max(timeline[j][2] - timeline[i][2], 0.0)
        peak = max([peak, *(r for _, r, _ in timeline[i:j + 1])])
    return {"cpu_s": cpu, "peak_rss_bytes": peak}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
