"""The documentation stays true to the binaries."""

import os

DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs")


def test_configuration_reference_is_generated_from_the_setting_table(harness):
    r = harness.repmgr("--help-settings=markdown", check=True)
    with open(os.path.join(DOCS, "configuration.md")) as f:
        assert f.read() == r.stdout, \
            "docs/configuration.md is stale: run scripts/gen-docs"


def test_every_command_has_help(harness):
    for group, verb in [("primary", "register"), ("standby", "clone"), ("standby", "register"),
                        ("standby", "promote"), ("standby", "follow"), ("standby", "switchover"),
                        ("witness", "register"), ("node", "rejoin"), ("cluster", "show"),
                        ("cluster", "event"), ("cluster", "import-repmgr5"),
                        ("daemon", "status")]:
        r = harness.repmgr(group, verb, "--help")
        assert r.returncode == 0, (group, verb, r.stderr)
        assert f"repmgr [-f repmgr.conf] [OPTIONS] {group} {verb}" in r.stdout
