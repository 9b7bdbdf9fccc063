"""The monitoring integration against Debian's prometheus package (issue 20):
promtool checks and unit-tests the alerting rules in packaging/prometheus,
`promtool check metrics` passes repmgrd's /metrics without a warning on a
primary, a standby and a witness, and every metric the rules and the Grafana
dashboard (packaging/grafana) use is one repmgrd exports."""

import json
import os
import re
import shutil
import subprocess

from pylib.clusters import make_cluster
from pylib.http import get, http_conf
from pylib.wait import wait_until

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RULES = os.path.join(ROOT, "packaging", "prometheus", "repmgr-rules.yml")
RULE_TESTS = os.path.join(ROOT, "tests", "prometheus", "repmgr-rules.test.yml")
DASHBOARD = os.path.join(ROOT, "packaging", "grafana", "repmgr-dashboard.json")
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
METRIC = re.compile(r"\b(repmgr_[a-z_]+)\b")


def promtool(*args, stdin=None):
    return subprocess.run([PROMTOOL, *args], input=stdin, capture_output=True, text=True,
                          timeout=120)


def test_the_rules_pass_promtool_check_and_their_unit_tests():
    r = promtool("check", "rules", RULES)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS: 10 rules found" in r.stdout, r.stdout
    r = promtool("test", "rules", RULE_TESTS)
    assert r.returncode == 0, r.stdout + r.stderr
    # Every alert of the file is fired by at least one unit test.
    alerts = set(re.findall(r"- alert: (\w+)", open(RULES).read()))
    tested = set(re.findall(r"alertname: (\w+)", open(RULE_TESTS).read()))
    assert alerts == tested, alerts ^ tested


def used_metrics():
    names = set(METRIC.findall(open(RULES).read()))
    dash = json.load(open(DASHBOARD))
    for panel in dash["panels"]:
        for target in panel.get("targets", []):
            names |= set(METRIC.findall(target["expr"]))
    return names


def test_metrics_pass_promtool_on_every_role_and_cover_the_rules_and_dashboard(harness):
    primary, (s2, s3), witness, _ = make_cluster(harness, write_conf=http_conf)
    exported = set()
    for node in (primary, s2, witness):
        status, text = wait_until(lambda n=node: (lambda r: r if r[0] == 200 else None)(
            get(n, "/metrics")), timeout=30, what=f"{node.name} /metrics")
        r = promtool("check", "metrics", stdin=text)
        assert r.returncode == 0 and r.stdout + r.stderr == "", \
            f"{node.name}: {r.stdout}{r.stderr}\n{text}"
        exported |= {line.split()[2] for line in text.splitlines()
                     if line.startswith("# TYPE ")}
    missing = used_metrics() - exported
    assert not missing, f"used by the rules or the dashboard but not exported: {missing}"
