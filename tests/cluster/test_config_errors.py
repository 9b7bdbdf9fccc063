"""repmgr.conf handling seen from the command line: bad input exits
ERR_BAD_CONFIG (1) naming file and line, unknown keys only warn, -L/-b
override the file, and the help/version entry points work."""

import os
import re

TS = r"\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\]"


def conf_for(harness, text, name="repmgr.conf", mode=0o644):
    return harness.write_file(f"conf/{name}", text, mode)


def identity(node=None, node_id=1):
    conninfo = node.conninfo() if node else "host=127.0.0.1 port=1 user=repmgr dbname=repmgr"
    return f"cluster=test\nnode={node_id}\nnode_name=node{node_id}\nconninfo='{conninfo}'\n"


def test_malformed_line_names_file_and_line(harness):
    conf = conf_for(harness, identity() + "bad-key=1\n")
    r = harness.repmgr("primary", "register", conf=conf)
    assert r.returncode == 1, r.stderr
    assert f"{conf}:5: invalid setting name" in r.stderr
    assert re.search(TS + r" \[ERROR\] configuration file .* has 1 error", r.stderr), r.stderr
    conf = conf_for(harness, "justaword\n" + identity())
    r = harness.repmgr("primary", "register", conf=conf)
    assert r.returncode == 1, r.stderr
    assert f'{conf}:1: expected "key=value", got "justaword"' in r.stderr


def test_wrong_type_and_bound_name_file_and_line(harness):
    conf = conf_for(harness, identity() + "priority=high\nreconnect_attempts=-3\n")
    r = harness.repmgr("cluster", "show", conf=conf)
    assert r.returncode == 1, r.stderr
    assert f'{conf}:5: "priority" must be an integer, got "high"' in r.stderr
    assert f'{conf}:6: "reconnect_attempts" must be between 0 and' in r.stderr


def test_all_errors_reported_at_once(harness):
    conf = conf_for(harness, "node=x\nbroken\nfailover=sometimes\nconninfo='host=a unknownkw=1'\n"
                             "use_replication_slots=perhaps\nnode_name='unterminated\n")
    r = harness.repmgr("primary", "register", conf=conf)
    assert r.returncode == 1, r.stderr
    for line in range(1, 7):
        assert f"{conf}:{line}:" in r.stderr, f"line {line} not reported:\n{r.stderr}"
    assert "has 6 errors" in r.stderr
    # printed once, as ERROR + DETAIL + HINT
    assert r.stderr.count("[ERROR]") == 1
    assert "[HINT]" in r.stderr


def test_missing_required_keys(harness):
    conf = conf_for(harness, "priority=10\n")
    r = harness.repmgr("primary", "register", conf=conf)
    assert r.returncode == 1, r.stderr
    for key in ("cluster", "node", "node_name", "conninfo"):
        assert key in r.stderr
    assert conf in r.stderr


def test_missing_config_file_is_an_error_not_a_fallback(harness):
    r = harness.repmgr("cluster", "show", conf=harness.path("conf", "does-not-exist.conf"))
    assert r.returncode == 1, r.stderr
    assert "does-not-exist.conf" in r.stderr and "not found or not readable" in r.stderr


def test_unreadable_config_file(harness):
    conf = conf_for(harness, identity(), mode=0o000)
    if os.geteuid() != 0:
        import pytest
        pytest.skip("needs root to make the file unreadable for the test user only")
    r = harness.repmgr("cluster", "show", conf=conf)
    assert r.returncode == 1, r.stderr
    assert "not found or not readable" in r.stderr


def test_invalid_conninfo_in_file(harness):
    conf = conf_for(harness, "cluster=test\nnode=1\nnode_name=a\nconninfo='host=a nosuchkw=1'\n")
    r = harness.repmgr("primary", "register", conf=conf)
    assert r.returncode == 1, r.stderr
    assert f'{conf}:4: "conninfo" is not a valid connection string' in r.stderr


def test_unknown_key_warns_with_file_and_line_and_proceeds(harness):
    primary = harness.primary("node1")
    conf = conf_for(harness, identity(primary) + "no_such_setting=1\n")
    r = harness.repmgr("primary", "register", conf=conf)
    assert r.returncode == 0, r.stderr
    assert re.search(TS + r" \[WARNING\] " + re.escape(conf) + r':5: unknown setting '
                     r'"no_such_setting" ignored', r.stderr), r.stderr
    assert "master node correctly registered" in r.stderr


def test_repmgr5_aliases_work_end_to_end(harness):
    primary = harness.primary("node1")
    conf = conf_for(harness, f"cluster=test\nnode_id=1\nnode_name=node1\n"
                             f"conninfo='{primary.conninfo()}'\nlog_level=WARNING\n"
                             f"data_directory='{primary.datadir}'\n")
    r = harness.repmgr("primary", "register", conf=conf)
    assert r.returncode == 0, r.stderr
    assert "[NOTICE]" not in r.stderr  # log_level=WARNING took effect
    assert primary.sql_one("SELECT id FROM repmgr_test.repl_nodes", dbname="repmgr") == 1


def test_log_level_option_overrides_file(harness):
    primary = harness.primary("node1")
    conf = conf_for(harness, identity(primary) + "loglevel=ERROR\n")
    r = harness.repmgr("primary", "register", conf=conf)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # only errors would be shown
    r = harness.repmgr("-L", "DEBUG", "primary", "register", conf=conf)
    assert r.returncode == 0, r.stderr
    assert re.search(TS + r" \[DEBUG\] ", r.stderr), r.stderr
    assert "already registered" in r.stderr
    r = harness.repmgr("--log-level=NOTICE", "primary", "register", conf=conf)
    assert "[NOTICE]" in r.stderr and "[DEBUG]" not in r.stderr
    r = harness.repmgr("-L", "LOUD", "primary", "register", conf=conf)
    assert r.returncode == 1 and 'invalid log level "LOUD"' in r.stderr


def test_log_to_file(harness):
    primary = harness.primary("node1")
    logfile = harness.path("repmgr.log")  # the base directory belongs to the test user
    conf = conf_for(harness, identity(primary) + f"logfile='{logfile}'\nbogus_key=1\n")
    r = harness.repmgr("--log-to-file", "primary", "register", conf=conf)
    assert r.returncode == 0, r.stderr
    with open(logfile) as f:
        text = f.read()
    assert re.search(TS + r" \[NOTICE\] master node correctly registered for cluster test "
                     r"with id 1", text), text
    # configuration warnings go to the configured destination too
    assert re.search(TS + r" \[WARNING\] .*:6: unknown setting \"bogus_key\"", text), text
    assert r.stderr == ""


def test_warnings_honour_the_configured_log_level(harness):
    primary = harness.primary("node1")
    conf = conf_for(harness, identity(primary) + "loglevel=ERROR\nbogus_key=1\n")
    r = harness.repmgr("primary", "register", conf=conf)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""


def test_version_and_help(harness):
    r = harness.repmgr("--version")
    assert r.returncode == 0 and re.match(r"repmgr \d+\.\d+", r.stdout), r.stdout + r.stderr

    r = harness.repmgr("--help")
    assert r.returncode == 0
    for option in ("-f,--config-file", "-L,--log-level", "-b,--pg_bindir", "--dry-run"):
        assert option in r.stdout

    r = harness.repmgr("--help-settings")
    assert r.returncode == 0
    for key in ("cluster", "node (node_id)", "conninfo", "event_notification_command",
                "loglevel (log_level)", "master_response_timeout"):
        assert key in r.stdout, key

    r = harness.repmgr("standby", "register", "--help")
    assert r.returncode == 0
    assert "standby register" in r.stdout and "--upstream-node-id" in r.stdout


def test_usage_errors_are_bad_config(harness):
    r = harness.repmgr("standby", "nonsense")
    assert r.returncode == 1
    r = harness.repmgr("--no-such-option", "cluster", "show")
    assert r.returncode == 1
    r = harness.repmgr()
    assert r.returncode == 1


def test_config_writable_by_others_or_foreign_owned_is_refused(harness, registered_pair):
    """repmgr.conf holds commands repmgr runs: a file that others could have
    changed is refused (ERR_BAD_CONFIG, the file named, the fix hinted)."""
    primary, _ = registered_pair
    conf = primary.conf
    os.chmod(conf, 0o666)
    r = harness.repmgr("cluster", "show", conf=conf)
    assert r.returncode == 1, r.stderr
    assert f'configuration file "{conf}" is writable by others (mode 0666)' in r.stderr
    assert f'chmod go-w "{conf}"' in r.stderr
    # repmgrd reads it the same way
    r = harness.repmgrd(conf=conf)
    assert r.returncode == 1, r.stderr
    assert "is writable by others" in r.stderr
    os.chmod(conf, 0o660)
    r = harness.repmgr("cluster", "show", conf=conf)
    assert r.returncode == 1 and "writable by its group" in r.stderr, r.stderr

    os.chmod(conf, 0o600)
    r = harness.repmgr("cluster", "show", conf=conf)
    assert r.returncode == 0, r.stderr
    assert "node1" in r.stdout

    if os.geteuid() == 0:
        # owned by another (non-root) user: refused even when not writable
        os.chown(conf, 65534, 65534)  # nobody
        os.chmod(conf, 0o644)
        r = harness.repmgr("cluster", "show", conf=conf)
        assert r.returncode == 1, r.stderr
        assert "is owned by another user (uid 65534)" in r.stderr
        # root as owner is accepted (a file in /etc)
        os.chown(conf, 0, 0)
        r = harness.repmgr("cluster", "show", conf=conf)
        assert r.returncode == 0, r.stderr


def test_log_file_is_created_owner_only(harness, registered_pair):
    primary, _ = registered_pair
    log = os.path.join(primary.confdir, "cli.log")
    with open(primary.conf, "a") as f:
        f.write(f"logfile='{log}'\n")
    r = harness.repmgr("cluster", "show", "--log-to-file", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(log)
    assert os.stat(log).st_mode & 0o777 == 0o600
