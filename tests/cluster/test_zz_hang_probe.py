import os, signal, subprocess, time
from pylib.clusters import make_cluster
from pylib.harness import signal_all

def test_probe(harness):
    primary, (s2, s3), witness, daemons = make_cluster(harness, guard_timeout=2)
    time.sleep(8)
    d = daemons["node1"]
    for rnd in range(2):
        pids = primary.freeze()
        time.sleep(12)
        out = subprocess.run(["gdb", "-p", str(d.pid), "-batch", "-ex", "thread apply all bt"],
                             capture_output=True, text=True).stdout
        with open(f"/tmp/hang-probe-{rnd}.txt", "w") as f:
            f.write(out)
            f.write("\n\n==== log\n" + d.log()[-6000:])
        signal_all(pids, signal.SIGCONT)
        time.sleep(15)
