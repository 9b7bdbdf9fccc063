"""Events: repl_events rows, event_notification_command with every
placeholder passed literally (no shell injection), event_notifications
filtering, and `cluster event` with its filters and CSV output."""

import csv
import io
import os
import re

from pylib.conf import conf_quote
from pylib.notify import notify_calls, notify_script


def test_notification_receives_values_literally(harness):
    marker = harness.path("pwned")
    script, out = notify_script(harness)
    name = f"n'$(touch {marker});`touch {marker}`\"\\x | touch {marker}"
    primary = harness.primary("node1")
    conninfo = primary.conninfo() + f" application_name='a$(touch {marker})'"
    # %d inside single quotes and %t/%c inside double quotes in the template
    template = f"{script} %n %e %s \"%t\" '%d' %a \"%c\" %p"
    primary.write_repmgr_conf(1, extra={
        "node_name": conf_quote(name),
        "conninfo": conf_quote(conninfo),
        "event_notification_command": conf_quote(template),
    })
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    got = notify_calls(out)
    assert len(got) == 1, got
    node_id, event, ok, ts, details, a, c, p = got[0]
    assert (node_id, event, ok) == ("1", "master_register", "1")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", ts), ts
    assert details == "node 1 registered as primary"
    assert a == name
    assert c == conninfo
    assert p == ""
    assert not os.path.exists(marker), "a value was executed by the shell"

    # the standby's event: details with a ';' and a peer node id
    standby = harness.standby_of(primary, "node2")
    standby.write_repmgr_conf(2, extra={"event_notification_command": conf_quote(template)})
    r = harness.repmgr("standby", "register", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    last = notify_calls(out)[-1]
    assert last[:3] == ["2", "standby_register", "1"]
    assert last[4] == "standby registration succeeded; upstream node ID is 1"
    assert last[7] == "1"
    assert not os.path.exists(marker)


def test_event_notifications_filter(harness):
    script, out = notify_script(harness)
    extra = {"event_notification_command": conf_quote(f"{script} %n %e"),
             "event_notifications": "'standby_register, standby_unregister'"}
    primary = harness.primary("node1")
    primary.write_repmgr_conf(1, extra=extra)
    assert harness.repmgr("primary", "register", conf=primary.conf).returncode == 0
    standby = harness.standby_of(primary, "node2")
    standby.write_repmgr_conf(2, extra=extra)
    assert harness.repmgr("standby", "register", conf=standby.conf).returncode == 0
    assert harness.repmgr("standby", "unregister", conf=standby.conf).returncode == 0
    assert notify_calls(out) == [["2", "standby_register"], ["2", "standby_unregister"]]
    # the rows are written whatever the filter says
    events = [e for (e,) in primary.sql("SELECT event FROM repmgr_test.repl_events "
                                        "ORDER BY event_timestamp", dbname="repmgr")]
    assert events == ["master_register", "standby_register", "standby_unregister"]


def test_failing_notification_command_only_warns(harness):
    primary = harness.primary("node1")
    primary.write_repmgr_conf(1, extra={"event_notification_command": "'/bin/false %e'"})
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert "[WARNING] event notification command" in r.stderr
    assert primary.sql_one("SELECT count(*) FROM repmgr_test.repl_events", dbname="repmgr") == 1


def parse_table(stdout):
    lines = stdout.splitlines()
    header = [h.strip() for h in lines[0].split("|")]
    assert set(lines[1]) <= {"-", "+"}, lines[1]
    return header, [[c.strip() for c in l.split("|")] for l in lines[2:]]


def test_cluster_event(harness, registered_pair):
    primary, standby = registered_pair
    assert harness.repmgr("standby", "unregister", conf=standby.conf).returncode == 0
    assert harness.repmgr("standby", "register", conf=standby.conf).returncode == 0

    r = harness.repmgr("cluster", "event", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    header, rows = parse_table(r.stdout)
    assert header == ["Node ID", "Name", "Event", "OK", "Timestamp", "Details"]
    # newest first
    assert [(row[0], row[1], row[2]) for row in rows] == [
        ("2", "node2", "standby_register"), ("2", "node2", "standby_unregister"),
        ("2", "node2", "standby_register"), ("1", "node1", "master_register")]
    assert all(row[3] == "t" for row in rows)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", row[4]) for row in rows)

    r = harness.repmgr("cluster", "event", "--limit=1", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert [row[2] for row in parse_table(r.stdout)[1]] == ["standby_register"]

    r = harness.repmgr("cluster", "event", "--event=standby_unregister", conf=primary.conf)
    assert [row[2] for row in parse_table(r.stdout)[1]] == ["standby_unregister"]

    r = harness.repmgr("cluster", "event", "--node-id=1", conf=primary.conf)
    assert [(row[0], row[2]) for row in parse_table(r.stdout)[1]] == [("1", "master_register")]

    r = harness.repmgr("cluster", "event", "--event=no_such_event", conf=primary.conf)
    assert r.returncode == 0 and parse_table(r.stdout)[1] == []

    r = harness.repmgr("cluster", "event", "--csv", "--event=standby_register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == ["Node ID", "Name", "Event", "OK", "Timestamp", "Details"]
    assert [row[:4] for row in rows[1:]] == [["2", "node2", "standby_register", "t"]] * 2
    assert rows[1][5] == "standby registration succeeded; upstream node ID is 1"


def test_cluster_event_limit_and_all(harness, registered_pair):
    primary, standby = registered_pair
    for _ in range(12):
        assert harness.repmgr("standby", "unregister", conf=standby.conf).returncode == 0
        assert harness.repmgr("standby", "register", conf=standby.conf).returncode == 0
    total = primary.sql_one("SELECT count(*) FROM repmgr_test.repl_events", dbname="repmgr")
    assert total == 26
    r = harness.repmgr("cluster", "event", "--csv", conf=primary.conf)
    assert len(r.stdout.splitlines()) == 1 + 20  # the default limit
    r = harness.repmgr("cluster", "event", "--csv", "--all", conf=primary.conf)
    assert len(r.stdout.splitlines()) == 1 + 26


def test_cluster_event_bad_limit(harness, registered_pair):
    primary, _ = registered_pair
    r = harness.repmgr("cluster", "event", "--limit=0", conf=primary.conf)
    assert r.returncode == 1, r.stderr
    assert "--limit must be 1 or more" in r.stderr
    r = harness.repmgr("cluster", "event", "--limit=abc", conf=primary.conf)
    assert r.returncode == 1
