"""tests/faults/REPORT.md and bench/RESULTS.md are exactly what their scripts
write from the raw results committed beside them: regenerating them gives the
committed files byte for byte."""

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAULTS = os.path.join(ROOT, "tests", "faults")
BENCH = os.path.join(ROOT, "bench")


def regenerate(script, committed, tmp_path, *extra):
    out = tmp_path / os.path.basename(committed)
    r = subprocess.run([sys.executable, script, "--out", str(out), *extra], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(committed, "rb") as f:
        assert out.read_bytes() == f.read(), (
            f"{committed} is not what {script} writes from the committed raw results: "
            f"run {script} and commit the result")


def test_fault_report_is_generated_from_committed_results(tmp_path):
    assert any(n.endswith(".jsonl") for n in os.listdir(os.path.join(FAULTS, "results")))
    regenerate(os.path.join(FAULTS, "report.py"), os.path.join(FAULTS, "REPORT.md"), tmp_path)


def test_bench_results_are_generated_from_committed_results(tmp_path):
    assert any(n.endswith(".jsonl") for n in os.listdir(os.path.join(BENCH, "results")))
    regenerate(os.path.join(BENCH, "results.py"), os.path.join(BENCH, "RESULTS.md"), tmp_path,
               "--readme", "none")


def test_readme_performance_section_is_generated_from_committed_results(tmp_path):
    readme = tmp_path / "README.md"
    shutil.copy(os.path.join(ROOT, "README.md"), readme)
    r = subprocess.run([sys.executable, os.path.join(BENCH, "results.py"), "--out",
                        str(tmp_path / "RESULTS.md"), "--readme", str(readme)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(os.path.join(ROOT, "README.md"), "rb") as f:
        assert readme.read_bytes() == f.read(), (
            "README.md's Performance section is not what bench/results.py writes from the "
            "committed raw results: run bench/results.py and commit the result")


def test_the_check_notices_an_edit(tmp_path):
    """--check fails on a hand-edited report (a copy, with its inputs)."""
    copy = tmp_path / "faults"
    shutil.copytree(FAULTS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with open(copy / "REPORT.md", "a") as f:
        f.write("\nA line written by hand.\n")
    r = subprocess.run([sys.executable, str(copy / "report.py"), "--check"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "DIFFERS" in r.stdout, r.stdout + r.stderr


def test_a_rerun_becomes_its_own_section(tmp_path):
    """run-full's last step on a rerun: the shard results become a new
    results file, and the report gains a section for it, still reproducible."""
    copy = tmp_path / "faults"
    shutil.copytree(FAULTS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    committed = set((copy / "results").iterdir())
    shard = tmp_path / "shard0.jsonl"
    shard.write_text('{"nemesis": "kill9_primary", "run": 1, "synchronous": true, '
                     '"problems": [], "notes": [], "must_fail_over": true, "failover_s": 2.5, '
                     '"acked": 500, "found": 500, "lost": 0, "converge_s": 9.0, "logs": "x"}\n')
    r = subprocess.run([sys.executable, str(copy / "report.py"), "--add", str(shard),
                        "--set", "full", "--runs", "1", "--seed", "5", "--minutes", "2",
                        "--build", "abc1234", "--only", "kill9_primary",
                        "--note", "After the fix of bug 12."],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    report = (copy / "REPORT.md").read_text()
    assert ": rerun of kill9_primary" in report and "After the fix of bug 12." in report
    assert "| kill9_primary | 1 (1 / 0) | 0 | 1 / 1 | 2.5 / 2.5 | 500 / 500 | 0 | 9.0 / 9.0 |" \
        in report
    stored = [p for p in set((copy / "results").iterdir()) - committed
              if p.name.endswith("-full-rerun.jsonl")]
    assert len(stored) == 1 and '"logs"' not in stored[0].read_text()
    r = subprocess.run([sys.executable, str(copy / "report.py"), "--check"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
