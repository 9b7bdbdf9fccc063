"""repmgr.conf helpers shared by the repmgrd tests."""

import os

# Fast failover for tests: a dead primary is declared failed in about 2-3 s.
FAST_FAILOVER = {"monitor_interval_secs": "1", "reconnect_interval": "1",
                 "reconnect_attempts": "2", "master_response_timeout": "2",
                 "failover": "automatic", "primary_follow_timeout": "20",
                 "election_rerun_interval": "2", "loglevel": "INFO"}


def write_conf_with_event_log(node, node_id, base, **extra):
    """Writes node's repmgr.conf from `base` settings plus `extra`, with an
    event_notification_command appending "%n %e %s" to <node dir>/events.txt
    (read back with notified())."""
    events = os.path.join(node.confdir, "events.txt")
    settings = dict(base)
    settings["event_notification_command"] = f"'echo %n %e %s >> {events}'"
    settings.update({k: str(v) for k, v in extra.items()})
    node.write_repmgr_conf(node_id, extra=settings)
    node.events_file = events
    return node.conf


def notified(node, event):
    """The notification lines (split) for `event` so far; empty when none."""
    try:
        with open(node.events_file) as f:
            return [line.split() for line in f if line.split()[1:2] == [event]]
    except OSError:
        return []
