"""A private sshd on 127.0.0.1 for tests that need ssh (rsync clone,
switchover). Key login for the unprivileged user; torn down by its fixture."""

import os
import shutil
import subprocess
import tempfile
import time

from .harness import RUN_AS, free_port, run_as_user


class Sshd:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="repmgr-sshd-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.proc = None
        self.client_key = os.path.join(self.dir, "id_ed25519")

    def start(self):
        host_key = os.path.join(self.dir, "host_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host_key], check=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.client_key],
                       check=True)
        shutil.copy(self.client_key + ".pub", os.path.join(self.dir, "authorized_keys"))
        os.chmod(os.path.join(self.dir, "authorized_keys"), 0o644)
        subprocess.run(["chown", f"{RUN_AS}:", self.client_key, self.client_key + ".pub"],
                       check=True)
        conf = os.path.join(self.dir, "sshd_config")
        with open(conf, "w") as f:
            f.write(f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {self.dir}/sshd.pid
AuthorizedKeysFile {self.dir}/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UsePAM yes
StrictModes no
AllowUsers {RUN_AS}
SetEnv PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin
""")
        os.makedirs("/run/sshd", exist_ok=True)
        self.proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", conf],
                                     stdout=subprocess.DEVNULL, stderr=open(
                                         os.path.join(self.dir, "sshd.log"), "w"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = run_as_user(["ssh"] + self.options_list() + ["127.0.0.1", "true"], check=False)
            if r.returncode == 0:
                return self
            time.sleep(0.2)
        raise AssertionError("private sshd did not accept key login: "
                             + open(os.path.join(self.dir, "sshd.log")).read())

    def options_list(self):
        return ["-p", str(self.port), "-i", self.client_key, "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"]

    def ssh_options(self):
        """The value for repmgr.conf's ssh_options."""
        return " ".join(self.options_list())

    def stop(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
