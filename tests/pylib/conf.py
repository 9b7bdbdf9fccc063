"""Writing repmgr.conf for tests (PgNode.write_repmgr_conf writes the node's
identity; these add the settings a test needs)."""

import os

# Fast failover for tests: a dead primary is declared failed in about 2-3 s.
FAST_FAILOVER = {"monitor_interval_secs": "1", "reconnect_interval": "1",
                 "reconnect_attempts": "2", "master_response_timeout": "2",
                 "failover": "automatic", "primary_follow_timeout": "20",
                 "election_rerun_interval": "2", "loglevel": "INFO"}


def conf_quote(value):
    """Quotes a value for repmgr.conf (single quotes, \\ escapes)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def write_conf(node, node_id, base, **extra):
    """Writes node's repmgr.conf with the settings `base` plus `extra`
    (values converted with str()); returns its path."""
    settings = dict(base)
    settings.update({k: str(v) for k, v in extra.items()})
    return node.write_repmgr_conf(node_id, extra=settings)


def configure(node, node_id, base=FAST_FAILOVER, **extra):
    """Writes node's repmgr.conf from `base` settings plus `extra`, with an
    event_notification_command appending "%n %e %s" to <node dir>/events.txt
    (read back with notified())."""
    events = os.path.join(node.confdir, "events.txt")
    node.events_file = events
    settings = {**base, "event_notification_command": f"'echo %n %e %s >> {events}'"}
    return write_conf(node, node_id, settings, **extra)


def notified(node, event):
    """The notification lines (split) for `event` so far; empty when none."""
    try:
        with open(node.events_file) as f:
            return [line.split() for line in f if line.split()[1:2] == [event]]
    except OSError:
        return []


def ssh_extra(harness, sshd, remote_config_file=True):
    """repmgr.conf settings for commands run on other nodes over the private
    sshd. Without `remote_config_file` the path each node recorded at
    registration (repl_nodes.config_file) is the one used remotely."""
    extra = {"ssh_options": f"'{sshd.ssh_options()}'",
             "repmgr_bindir": f"'{harness.prefix}/bin'"}
    if remote_config_file:
        extra["remote_config_file"] = f"'{harness.base}/%a/repmgr.conf'"
    return extra
