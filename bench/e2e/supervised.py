"""A system under test run as its own process group (used by the two system launchers).

start() puts the command in a new session, so that kill() reaches every process it forked even
when the master has died; stop() asks the master to stop (SIGTERM) and waits for its whole tree.
"""
import os
import signal
import socket
import subprocess
import time

import proctree


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout):
    """Until 127.0.0.1:port accepts a connection; False when proc exits or timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class Supervised:
    def __init__(self, argv, cwd, log_path, env=None):
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.pgid = self.proc.pid

    @property
    def pid(self):
        return self.proc.pid

    def stop(self, timeout):
        """SIGTERM to the master, then wait for it and its tree. True when it stopped by itself."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        clean = True
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            clean = False
        while self._group_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self._group_alive():
            clean = False
        self.kill()
        return clean

    def kill(self):
        """SIGKILL to whatever of the process group is left (every exit path calls it)."""
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.log.close()

    def _group_alive(self):
        try:
            os.killpg(self.pgid, 0)
            return True
        except ProcessLookupError:
            return False

    def cpu_seconds(self):
        return proctree.cpu_seconds(self.pid)


class SupervisedSystem:
    """What both systems under test share: a master run as a Supervised, once start() made it."""

    master = None

    def cpu_seconds(self):
        return self.master.cpu_seconds()

    def stop(self):
        return self.master.stop(60) if self.master else True

    def kill(self):
        if self.master:
            self.master.kill()
