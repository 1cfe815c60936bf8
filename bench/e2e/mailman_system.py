"""GNU Mailman 3.3.8 as Debian installs it, run for real for the end-to-end benchmark.

A generated mailman.cfg (layered over Mailman's own schema.cfg and built-in mailman.cfg, as any -C
file is): var_dir under the run's work dir, SQLite (the shipped url), the null MTA (no Postfix maps
to write), LMTP and SMTP on the given loopback ports, the REST API on a free port, and the prototype
archiver (a Maildir per list, like RunnerHost's archive runner). Every runner of the shipped
configuration starts with its shipped sleep_time: lmtp, in, pipeline, out, archive, bounces,
command, digest, nntp, rest, retry, task, virgin. The list and its members are made with Mailman's
own commands (`mailman create`, `mailman addmembers`); then the foreground master
(/usr/lib/mailman3/bin/master -C cfg, what `mailman start` execs after forking) runs the runners.
"""
import os
import subprocess

import supervised

PY = "/usr/bin/python3"
MAILMAN = "/usr/bin/mailman"
MASTER = "/usr/lib/mailman3/bin/master"
BIN_DIR = "/usr/lib/mailman3/bin"


class MailmanSystem(supervised.SupervisedSystem):
    name = "mailman"
    title = "GNU Mailman 3.3.8"

    def __init__(self, work, list_address, owner, members, sink_port):
        self.work = work
        self.list_address = list_address
        self.owner = owner
        self.members = members
        self.sink_port = sink_port
        self.lmtp_port = supervised.free_port()
        self.rest_port = supervised.free_port()
        self.var = os.path.join(work, "var")
        self.cfg = os.path.join(work, "mailman.cfg")

    def _config(self):
        return f"""\
[mailman]
layout: e2e
site_owner: {self.owner}

[paths.e2e]
var_dir: {self.var}
bin_dir: {BIN_DIR}

[database]
url: sqlite:///$DATA_DIR/mailman.db

[mta]
incoming: mailman.mta.null.NullMTA
lmtp_host: 127.0.0.1
lmtp_port: {self.lmtp_port}
smtp_host: 127.0.0.1
smtp_port: {self.sink_port}

[webservice]
hostname: 127.0.0.1
port: {self.rest_port}

[archiver.prototype]
enable: yes
"""

    def _mailman(self, *args):
        # This machine runs the benchmark as root; Mailman's command wants that said explicitly.
        root = ["--run-as-root"] if os.geteuid() == 0 else []
        out = subprocess.run([PY, MAILMAN, "-C", self.cfg, *root, *args], cwd=self.work, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"mailman {' '.join(args)} failed ({out.returncode}): {out.stdout}{out.stderr}")
        return out.stdout

    def start(self):
        with open(self.cfg, "w") as f:
            f.write(self._config())
        self._mailman("create", "-N", "--owner", self.owner, self.list_address)
        members = os.path.join(self.work, "members.txt")
        with open(members, "w") as f:
            f.write("".join(m + "\n" for m in self.members))
        self._mailman("addmembers", "--no-welcome-msg", members, self.list_address)
        listed = self._mailman("members", self.list_address).split()
        if sorted(a.lower() for a in listed) != sorted(self.members):
            raise RuntimeError(f"mailman members lists {listed}, not the {len(self.members)} members added")
        env = dict(os.environ, MAILMAN_VAR_DIR=self.var)
        self.master = supervised.Supervised([PY, MASTER, "-C", self.cfg, "--force"], self.work,
                                            os.path.join(self.work, "master.out"), env)
        if not supervised.wait_for_port(self.lmtp_port, self.master.proc, 120):
            raise RuntimeError(f"Mailman's LMTP runner did not listen on {self.lmtp_port}; see {self.work}/master.out and {self.var}/logs")

    def describe(self):
        return ("every runner of the shipped configuration (lmtp, in, pipeline, out, archive, bounces, command, digest, "
                "nntp, rest, retry, task, virgin; 1 slice each, sleep_time 1 s where not set otherwise); "
                "SQLite; prototype archiver (Maildir); null MTA")
