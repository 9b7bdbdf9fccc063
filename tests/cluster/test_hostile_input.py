"""Hostile input: node names and values with quotes, $(), backticks and
newlines stay literal (in metadata, cluster show, notifications); passwords in
conninfo are never printed, logged or recorded (but stay in repl_nodes, which
other nodes connect with); a repmgr.conf readable by others that holds a
password is warned about; repmgr and repmgrd refuse to run as root; the
fuzz targets replay their corpus and fuzz for a few seconds."""

import csv
import io
import json
import os
import shutil
import subprocess
import urllib.request

import pytest

from pylib.conf import conf_quote
from pylib.harness import PG_BIN, free_port
from pylib.notify import notify_calls, notify_script
from pylib.wait import wait_until

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PASSWORD = "Pw_s3cret-9f2c"  # PostgreSQL trusts local connections: any password works

def test_hostile_node_names_stay_literal(harness):
    marker = harness.path("pwned")
    script, out = notify_script(harness)
    names = {1: f"p'q\"$(touch {marker})`touch {marker}`;touch {marker}",
             2: f"s \\ $HOME ${{IFS}}|touch {marker}&& touch {marker} #x"}
    template = f"{script} %n %e %s '%d' \"%a\" %a"
    primary = harness.primary("node1")
    primary.write_repmgr_conf(1, extra={"node_name": conf_quote(names[1]),
                                        "event_notification_command": conf_quote(template)})
    r = harness.repmgr("primary", "register", conf=primary.conf)
    assert r.returncode == 0, r.stderr
    standby = harness.standby_of(primary, "node2")
    standby.write_repmgr_conf(2, extra={"node_name": conf_quote(names[2]),
                                        "event_notification_command": conf_quote(template)})
    r = harness.repmgr("standby", "register", conf=standby.conf)
    assert r.returncode == 0, r.stderr

    got = notify_calls(out)
    assert [g[:3] for g in got] == [["1", "master_register", "1"], ["2", "standby_register", "1"]]
    for call, node_id in zip(got, (1, 2)):
        assert call[4] == call[5] == names[node_id], call
    stored = primary.sql("SELECT id, name FROM repmgr_test.repl_nodes ORDER BY id", dbname="repmgr")
    assert [tuple(row) for row in stored] == [(1, names[1]), (2, names[2])]

    r = harness.repmgr("cluster", "show", "--json", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert {n["id"]: n["name"] for n in json.loads(r.stdout)} == names
    r = harness.repmgr("cluster", "show", "--csv", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert names[1] in r.stdout or any(names[1] in row for row in csv.reader(io.StringIO(r.stdout)))
    r = harness.repmgr("cluster", "show", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert names[1] in r.stdout and names[2] in r.stdout
    r = harness.repmgr("cluster", "event", conf=standby.conf)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(marker), "a node name was executed by the shell"


def test_newline_or_nul_in_a_config_value_is_refused(harness):
    primary = harness.primary("node1")
    conf = harness.write_file("conf/newline.conf",
                              "cluster=test\nnode=1\nnode_name='first\nsecond'\n"
                              f"conninfo='{primary.conninfo()}'\n")
    r = harness.repmgr("primary", "register", conf=conf)
    assert r.returncode == 1, r.stderr
    assert f"{conf}:3: unterminated quoted value" in r.stderr, r.stderr
    nul = harness.path("conf", "nul.conf")
    with open(nul, "wb") as f:
        f.write(b"cluster=test\nnode=1\nnode_name=a\x00b\n")
    harness.chown(nul)
    r = harness.repmgr("cluster", "show", conf=nul)
    assert r.returncode == 1, r.stderr
    assert f"{nul}:3: contains a NUL byte" in r.stderr, r.stderr
    assert primary.sql_one("SELECT count(*) FROM pg_namespace WHERE nspname = 'repmgr_test'") == 0


def http_get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.read().decode()


def test_password_is_never_printed(harness):
    script, out = notify_script(harness)
    template = f"{script} %n %e %s %d %a %c"
    primary = harness.primary("node1")
    standby = harness.standby_of(primary, "node2")
    logfile = harness.path("repmgrd-node2.log")
    http_port = free_port()
    common = {"event_notification_command": conf_quote(template), "loglevel": "DEBUG"}
    # key=value with a quoted password for the primary, URI form for the standby
    primary.write_repmgr_conf(1, extra={
        "conninfo": conf_quote(primary.conninfo() + f" password='{PASSWORD}'"), **common})
    standby_uri = (f"postgresql://repmgr:{PASSWORD}@127.0.0.1:{standby.port}/repmgr"
                   "?connect_timeout=2")
    standby.write_repmgr_conf(2, extra={
        "conninfo": conf_quote(standby_uri), "logfile": conf_quote(logfile),
        "http_listen_address": "'127.0.0.1'", "http_port": str(http_port),
        "monitor_interval_secs": "1", **common})
    os.chmod(primary.conf, 0o600)
    os.chmod(standby.conf, 0o600)
    seen = []

    def run(*args, conf, expect=0):
        r = harness.repmgr(*args, conf=conf)
        assert expect is None or r.returncode == expect, r.stderr
        seen.extend([r.stdout, r.stderr])
        return r

    run("primary", "register", conf=primary.conf)
    run("standby", "register", conf=standby.conf)
    for fmt in ([], ["--csv"], ["--json"]):
        r = run("cluster", "show", *fmt, conf=standby.conf)
        assert "password='********'" in r.stdout and "repmgr:********@" in r.stdout, r.stdout
    run("cluster", "event", conf=standby.conf)
    run("node", "status", conf=standby.conf)
    run("node", "status", "--json", conf=primary.conf, expect=None)
    run("node", "check", conf=standby.conf, expect=None)

    # A connection failure prints the conninfo it could not use.
    dead = harness.write_file("conf/dead.conf",
                              "cluster=test\nnode=3\nnode_name=dead\n"
                              f"conninfo='host=127.0.0.1 port={free_port()} user=repmgr "
                              f"dbname=repmgr password={PASSWORD} connect_timeout=2'\n",
                              mode=0o600)
    r = run("cluster", "show", "-L", "DEBUG", conf=dead, expect=None)
    assert r.returncode != 0 and "password=********" in r.stderr, r.stderr
    r = run("standby", "clone", "--dry-run", "-F", "-h", "127.0.0.1", "-p", str(free_port()),
            "-U", "repmgr", "-d", f"host=127.0.0.1 password={PASSWORD}", conf=dead, expect=None)

    daemon = harness.start_repmgrd(standby)
    wait_until(lambda: '"node_id"' in http_get(http_port, "/status"), what="/status")
    seen.append(http_get(http_port, "/status"))
    with open(logfile) as f:
        assert "repmgr:********@" in f.read()  # DEBUG logs the conninfo it connects with
    run("daemon", "status", conf=standby.conf, expect=None)
    run("daemon", "status", "--csv", conf=standby.conf, expect=None)
    daemon.stop()

    with open(logfile) as f:
        seen.append(f.read())
    seen.append(daemon.log())
    seen.extend("\n".join(call) for call in notify_calls(out))
    events = primary.sql("SELECT details FROM repmgr_test.repl_events", dbname="repmgr")
    seen.extend(row[0] or "" for row in events)
    assert len(notify_calls(out)) >= 2

    leaks = [text for text in seen if PASSWORD in text]
    assert not leaks, leaks[0]
    # The metadata itself keeps the password: other nodes connect with it.
    stored = primary.sql("SELECT conninfo FROM repmgr_test.repl_nodes ORDER BY id", dbname="repmgr")
    assert all(PASSWORD in row[0] for row in stored)


def test_config_with_password_readable_by_others_warns(harness):
    primary = harness.primary("node1")
    primary.write_repmgr_conf(1, extra={
        "conninfo": conf_quote(primary.conninfo() + f" password={PASSWORD}")})
    os.chmod(primary.conf, 0o644)
    r = harness.repmgr("cluster", "show", conf=primary.conf)
    assert f'configuration file "{primary.conf}" contains a password and is readable by other users' \
        in r.stderr, r.stderr
    assert f"[HINT] chmod 600 {primary.conf}" in r.stderr
    assert PASSWORD not in r.stderr
    os.chmod(primary.conf, 0o600)
    r = harness.repmgr("cluster", "show", conf=primary.conf)
    assert "readable by other users" not in r.stderr, r.stderr
    # No password, no warning, whatever the mode.
    primary.write_repmgr_conf(1)
    os.chmod(primary.conf, 0o644)
    r = harness.repmgr("cluster", "show", conf=primary.conf)
    assert "readable by other users" not in r.stderr, r.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_root_is_refused_except_help_and_version(harness):
    primary = harness.primary("node1")
    conf = primary.write_repmgr_conf(1)
    env = {"PATH": f"{PG_BIN}:/usr/bin:/bin", "LANG": "C.UTF-8"}
    for binary, args in (("repmgr", ["-f", conf, "cluster", "show"]),
                         ("repmgr", ["-f", conf, "primary", "register"]),
                         ("repmgrd", ["-f", conf])):
        path = os.path.join(harness.prefix, "bin", binary)
        r = subprocess.run([path] + args, capture_output=True, text=True, env=env, timeout=30)
        assert r.returncode == 1, (binary, r.stderr)
        assert f"{binary}: cannot be run as root" in r.stderr, r.stderr
        for flag in ("--help", "--version"):
            r = subprocess.run([path, flag], capture_output=True, text=True, env=env, timeout=30)
            assert r.returncode == 0, (binary, flag, r.stderr)
    assert primary.sql_one("SELECT count(*) FROM pg_namespace WHERE nspname = 'repmgr_test'") == 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("clang++") is None, reason="needs clang (libFuzzer)")
@pytest.mark.skipif(not os.access(ROOT, os.W_OK), reason="builds build-fuzz in the checkout")
def test_fuzz_targets_replay_corpus_and_fuzz_briefly():
    fuzz = os.path.join(ROOT, "scripts", "fuzz")
    for args in (["--regress"], ["--seconds", "6"]):
        r = subprocess.run([fuzz] + args, capture_output=True, text=True, timeout=1200)
        assert r.returncode == 0, r.stdout + r.stderr
        for target in ("fuzz_config", "fuzz_conninfo", "fuzz_guc", "fuzz_pgfiles", "fuzz_http"):
            assert f"{target}: ok" in r.stdout, r.stdout
