"""Processes found by their command line (/proc/<pid>/cmdline, NUL-separated)."""

import os


def pids_by_cmdline(matches):
    """pids whose raw command line (bytes) satisfies `matches`; processes
    that end while being read are skipped."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if matches(f.read()):
                    pids.append(int(pid))
        except OSError:
            pass
    return pids
