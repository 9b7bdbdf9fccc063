"""The library the test suites (tests/cluster, tests/faults) share; the
benchmarks (bench/) use it too. tests/pytest.ini puts tests/ on sys.path, so
a test module imports it as `from pylib.harness import PgNode`.

- harness:  PostgreSQL servers as the unprivileged user, our binaries, repmgrd
- wait:     wait_until
- conf:     repmgr.conf settings (fast failover, quoting, event log, ssh)
- queries:  metadata and server state read back (nodes, events, streams_from,
            writable)
- clusters: the primary + 2 standbys + witness cluster with repmgrd, and the
            writable sampler
- notify:   a recording event_notification_command
- net, sshd: a TCP black hole and a private sshd on loopback
- repmgr5:  a live repmgr 5.3 cluster built by repmgr 5 itself (Debian's
            postgresql-15-repmgr), for the move-over tests"""
