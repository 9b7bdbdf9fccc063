"""A real headless browser for the tests: Debian's chromium, driven through the
DevTools protocol over --remote-debugging-pipe (file descriptors 3 and 4,
NUL-separated JSON: no websocket library, no network port), run as the
unprivileged user so that chromium keeps its sandbox."""

import json
import os
import shutil
import subprocess
import tempfile

from pylib.harness import as_user_argv, RUN_AS
from pylib.wait import wait_until

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Browser:
    """One chromium showing `url` in its one page; `evaluate(js)` runs an
    expression in that same page (never reloading it) and returns its value."""

    def __init__(self, url, log_path):
        self.profile = tempfile.mkdtemp(prefix="chromium-")
        if os.geteuid() == 0:
            shutil.chown(self.profile, RUN_AS, RUN_AS)
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()
        argv = as_user_argv([
            CHROMIUM, "--headless", "--disable-gpu", "--remote-debugging-pipe",
            f"--user-data-dir={self.profile}", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage", url],
            env={"HOME": self.profile})

        def fds():  # in the child: the protocol's fixed descriptors
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        self._log = open(log_path, "w")
        self.proc = subprocess.Popen(argv, pass_fds=(3, 4), preexec_fn=fds,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        os.close(to_child)
        os.close(from_child)
        self._buf = b""
        self._id = 0
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": page["targetId"], "flatten": True})["sessionId"]

    def call(self, method, params=None, session=None):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._out, json.dumps(msg).encode() + b"\0")
        while True:  # events interleave with answers; only our answer counts
            while b"\0" not in self._buf:
                chunk = os.read(self._in, 1 << 16)
                if not chunk:
                    raise EOFError(f"chromium closed the DevTools pipe (exit {self.proc.poll()})")
                self._buf += chunk
            raw, self._buf = self._buf.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                      session=self.session)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, expression, timeout=30, what=None):
        """Waits until `expression` is truthy in the page; returns its value."""
        return wait_until(lambda: self.evaluate(expression), timeout=timeout, interval=0.5,
                          what=what or expression)

    def close(self):
        try:
            self.call("Browser.close")
            self.proc.wait(10)
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for fd in (self._in, self._out):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
