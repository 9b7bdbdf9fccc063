"""A pytest plugin (loaded by tests/conftest.py): with REPMGR_TEST_REQUIRE_ALL=1
every skipped test or module is reported as a failure.

scripts/test sets it when it runs as root: it has then installed every
package the suites need (scripts/install-deps), so a suite that skips (the
fault suite, the sshd tests, the demo, the root refusal tests) did not run
for a reason CI must not pass over. A test that a run does not mean to run is
deselected instead (the fault suite's sets and shards)."""

import os

import pytest


def _required():
    return os.environ.get("REPMGR_TEST_REQUIRE_ALL") == "1"


def _as_failure(report):
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = (f"skipped ({reason}), but REPMGR_TEST_REQUIRE_ALL=1 (scripts/test as "
                       "root) requires every test to run")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if _required() and report.skipped and not hasattr(report, "wasxfail"):
        _as_failure(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if _required() and report.skipped:
        _as_failure(report)
