"""Command-line defects found in review (issue 14), seen from the outside:
-t/--terse leaves out DETAIL/HINT lines and INFO chatter but keeps warnings,
errors and the result; an unknown verb or group is named together with the
valid ones; a typo in repmgr.conf is warned about with file, line and the
setting it probably meant, by repmgr and by repmgrd at the default log level."""

import re

from pylib.wait import wait_until

TS = r"\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\]"


def unreachable_conf(harness, extra=""):
    """A repmgr.conf whose node cannot be reached, readable by others while it
    holds a password: every command then logs a warning with a HINT and an
    error with DETAIL and HINT, no server needed."""
    text = ("cluster=test\nnode=1\nnode_name=node1\n"
            "conninfo='host=127.0.0.1 port=1 user=repmgr dbname=repmgr password=pw "
            "connect_timeout=2'\n" + extra)
    return harness.write_file("conf/repmgr.conf", text, 0o644)


def test_terse_drops_detail_and_hint_but_keeps_warnings_and_errors(harness):
    conf = unreachable_conf(harness)
    r = harness.repmgr("cluster", "show", conf=conf)
    assert r.returncode != 0
    assert "\nDETAIL: " in r.stderr and "[HINT] chmod 600" in r.stderr, r.stderr
    for flag in ("-t", "--terse"):
        r = harness.repmgr(flag, "cluster", "show", conf=conf)
        assert r.returncode != 0
        assert re.search(TS + r" \[WARNING\] configuration file .* contains a password", r.stderr), \
            r.stderr
        assert re.search(TS + r" \[ERROR\] unable to connect to ", r.stderr), r.stderr
        assert "DETAIL" not in r.stderr and "HINT" not in r.stderr, r.stderr


def test_terse_drops_info_chatter_but_keeps_the_result(harness):
    primary = harness.primary("node1")
    conf = primary.write_repmgr_conf(1, extra={"loglevel": "DEBUG"})
    r = harness.repmgr("primary", "register", "--dry-run", conf=conf)
    assert r.returncode == 0, r.stderr
    assert "[DEBUG] configuration file" in r.stderr, r.stderr  # the chatter -t must hide
    r = harness.repmgr("-t", "primary", "register", conf=conf)
    assert r.returncode == 0, r.stderr
    assert "[DEBUG]" not in r.stderr and "[INFO]" not in r.stderr, r.stderr
    assert "master node correctly registered" in r.stderr, r.stderr
    r = harness.repmgr("-t", "cluster", "show", conf=conf)
    assert r.returncode == 0, r.stderr
    assert "node1" in r.stdout and "[DEBUG]" not in r.stderr, r.stderr
    # An explicit -L still wins over -t's level.
    r = harness.repmgr("-t", "-L", "DEBUG", "cluster", "show", conf=conf)
    assert r.returncode == 0, r.stderr
    assert "[DEBUG]" in r.stderr, r.stderr


def test_unknown_verb_is_named_with_the_valid_ones(harness):
    r = harness.repmgr("standby", "frobnicate")
    assert r.returncode == 1, r.stderr
    assert 'unknown standby command "frobnicate"' in r.stderr, r.stderr
    assert ("valid standby commands: register, unregister, clone, promote, follow, switchover"
            in r.stderr), r.stderr
    assert "A subcommand is required" not in r.stderr
    r = harness.repmgr("node")
    assert r.returncode == 1
    assert 'a command is required after "node"' in r.stderr, r.stderr
    assert "valid node commands: rejoin, status, check" in r.stderr, r.stderr


def test_unknown_group_is_named_with_the_valid_ones(harness):
    r = harness.repmgr("stanby", "clone")
    assert r.returncode == 1, r.stderr
    assert 'unknown command group "stanby"' in r.stderr, r.stderr
    assert "primary, standby, witness, node, daemon, cluster" in r.stderr, r.stderr


def typo_warning(conf, line):
    return (TS + r" \[WARNING\] " + re.escape(f"{conf}:{line}:") +
            r" unknown setting \"reconect_attempts\" ignored \(did you mean \"reconnect_attempts\"\?\)")


def test_config_typo_warns_in_repmgr_at_the_default_level(harness):
    conf = unreachable_conf(harness, "reconect_attempts=5\n")
    r = harness.repmgr("cluster", "show", conf=conf)
    assert re.search(typo_warning(conf, 5), r.stderr), r.stderr


def test_config_typo_warns_in_repmgrd_at_the_default_level(harness):
    primary = harness.primary("node1")
    conf = primary.write_repmgr_conf(1, extra={"reconect_attempts": "5"})
    r = harness.repmgr("primary", "register", conf=conf)
    assert r.returncode == 0, r.stderr
    d = harness.start_repmgrd(primary)
    pattern = typo_warning(conf, 7)
    wait_until(lambda: re.search(pattern, d.log()), timeout=30, what="the typo warning")
    d.stop()
