"""What a benchmark reads of a process from Linux's /proc: CPU time and resident memory."""
from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used; 0.0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    """Resident memory now (VmRSS) or at its peak (VmHWM), kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident memory now and at its peak, MB."""
    return rss_kb(pid) / 1024, rss_kb(pid, "VmHWM") / 1024


def machine_busy_seconds() -> float:
    """CPU seconds all processes on the machine have used (/proc/stat; excludes idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")
