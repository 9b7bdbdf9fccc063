"""A recording event_notification_command: a script that appends the
arguments it receives, so a test sees exactly what repmgr passed it (no shell
in between)."""

import os

NOTIFY_SCRIPT = """#!/bin/sh
# Appends one record per call: the arguments, NUL-separated, then RS (0x1e).
for a in "$@"; do printf '%s\\0' "$a"; done >> {out}
printf '\\036' >> {out}
"""


def notify_script(harness):
    """Writes the script into the harness directory; returns (script path,
    the file it appends to)."""
    out = harness.path("notify.out")
    script = harness.write_file("notify.sh", NOTIFY_SCRIPT.format(out=out), mode=0o755)
    return script, out


def notify_calls(out):
    """The calls recorded so far, each the list of its arguments."""
    if not os.path.exists(out):
        return []
    with open(out, "rb") as f:
        data = f.read().decode()
    return [rec.split("\0")[:-1] for rec in data.split("\x1e")[:-1]]
