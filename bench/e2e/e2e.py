"""End-to-end benchmark: a post from LMTP to every member, on RunnerHost and on GNU Mailman 3.3.8.

Starts one SMTP sink (smtp_sink.py), then each system in turn (runnerhost_system.py,
mailman_system.py) with the same list of MEMBERS members delivering to that sink. Per system: a
warm-up of a few posts (every runner up, caches filled; not measured), then an idle row (one post
at a time, the next after the previous reached every member and a pause: the latency of a post
that waits behind no other), then one row per concurrency: POSTS posts with unique Message-IDs from a member over C LMTP connections
(lmtp_load.py), waiting until every member received every post (or until no delivery arrived for
--stall seconds), and the CPU time of the system's whole process tree over the row. Prints one
JSON line per row; progress goes to stderr. Exit 1 when some row lost or duplicated mail.

usage: python3 e2e.py --work DIR --host-dll PATH [--systems runnerhost,mailman] [--posts N]
                      [--mailman-posts N] [--idle-posts N] [--mailman-idle-posts N] [--pause-ms MS]
                      [--clients "1 8 32"] [--stall S]
"""
import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

sys.dont_write_bytecode = True   # no __pycache__ left in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lmtp_load  # noqa: E402
from mailman_system import MailmanSystem  # noqa: E402
from runnerhost_system import RunnerHostSystem  # noqa: E402

LIST = "test@example.com"
OWNER = "owner@example.com"
MEMBERS = [f"member{i}@example.com" for i in range(1, 11)]
SENDER = MEMBERS[0]
WARMUP_POSTS = 5
QUIET_S = 3


def log(text):
    print(f"e2e: {text}", file=sys.stderr, flush=True)


class SinkClient:
    """Starts the sink process and talks to its control port."""

    def __init__(self, work):
        here = os.path.dirname(os.path.abspath(__file__))
        self.proc = subprocess.Popen([sys.executable, os.path.join(here, "smtp_sink.py")], stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(work, "sink.err"), "wb"), start_new_session=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2:
            raise RuntimeError("the SMTP sink did not start; see sink.err")
        self.smtp_port, control = int(line[0]), int(line[1])
        self.control = socket.create_connection(("127.0.0.1", control))
        self.reader = self.control.makefile("rb")

    def _ask(self, command):
        self.control.sendall(command + b"\n")
        return json.loads(self.reader.readline())

    def count(self):
        return self._ask(b"COUNT")["deliveries"]

    def records(self):
        return self._ask(b"DUMP")["records"]

    def close(self):
        self.proc.kill()
        self.proc.wait()


def wait_for(sink, expected, stall, what):
    """Polls the sink until `expected` deliveries are there or none arrived for `stall` seconds."""
    last, last_change = sink.count(), time.monotonic()
    while last < expected:
        time.sleep(0.01)
        now = sink.count()
        if now != last:
            last, last_change = now, time.monotonic()
        elif time.monotonic() - last_change > stall:
            log(f"{what}: no delivery for {stall:g} s with {expected - last} of {expected} still missing; giving up")
            return False
    return True


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def tally(records, msgids, members):
    """Per post: {member: deliveries}; plus deliveries to anyone else."""
    wanted = set(msgids)
    got = {m: {} for m in msgids}
    first = {m: {} for m in msgids}
    strays = 0
    for msgid, rcpt, t in records:
        if msgid not in wanted:
            continue
        if rcpt not in members:
            strays += 1
            continue
        got[msgid][rcpt] = got[msgid].get(rcpt, 0) + 1
        first[msgid].setdefault(rcpt, t)
    missing = sum(1 for m in msgids for r in members if got[m].get(r, 0) == 0)
    duplicates = sum(n - 1 for m in msgids for n in got[m].values() if n > 1)
    return got, first, missing, duplicates, strays


def check(row, records, members):
    _, _, missing, duplicates, strays = tally(records, row["_msgids"], members)
    row.update(missing=missing, duplicates=duplicates, strays=strays)
    row["exactly_once"] = (missing == 0 and duplicates == 0 and strays == 0 and row["refused"] == 0
                           and row["accepted"] == row["posts"])


def run_row(system, sink, posts, clients, stall, run_id):
    members = set(MEMBERS)
    msgids = [f"<e2e.{run_id}.{system.name}.c{clients}.{i}@bench.example.com>" for i in range(posts)]
    base = sink.count()
    cpu0, _ = system.cpu_seconds()
    start, accepted, refused = asyncio.run(
        lmtp_load.send("127.0.0.1", system.lmtp_port, msgids, clients, SENDER, LIST))
    accept_end = max(accepted.values(), default=start)
    expected = base + len(accepted) * len(MEMBERS)
    drained = wait_for(sink, expected, stall, f"{system.name} {clients} clients")
    cpu1, processes = system.cpu_seconds()
    records = sink.records()
    _, first, _, _, _ = tally(records, msgids, members)
    latencies, done = [], []
    for m in msgids:
        if m in accepted and len(first[m]) == len(MEMBERS):
            last = max(first[m].values())
            done.append(last)
            latencies.append((last - accepted[m]) * 1000)
    latencies.sort()
    end = max(done, default=accept_end)
    row = {
        "scenario": "e2e", "system": system.name, "clients": clients, "posts": posts, "members": len(MEMBERS),
        "accepted": len(accepted), "refused": len(refused) + (posts - len(accepted) - len(refused)),
        "fully_delivered": len(done), "drained": drained,
        "accepted_per_s": round(len(accepted) / (accept_end - start), 2) if accepted else 0,
        "delivered_per_s": round(len(done) / (end - start), 2) if done else 0,
        "p50_ms": round(percentile(latencies, 50), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 2) if latencies else None,
        "max_ms": round(latencies[-1], 2) if latencies else None,
        "cpu_ms_per_post": round((cpu1 - cpu0) / posts * 1000, 3),
        "processes": processes,
        "elapsed_s": round(end - start, 3),
        "_msgids": msgids,
    }
    if refused:
        row["refusals"] = list(refused.items())[:5]
    check(row, records, members)
    log(f"{system.name} {clients} clients: {row['accepted']}/{posts} accepted at {row['accepted_per_s']}/s, "
        f"{row['fully_delivered']} fully delivered at {row['delivered_per_s']}/s, p50 {row['p50_ms']} ms, "
        f"p99 {row['p99_ms']} ms, {row['cpu_ms_per_post']} CPU ms/post")
    return row


def run_idle(system, sink, posts, pause_ms, stall, run_id):
    """One post at a time into an idle system: send it, wait until every member has it, pause, next."""
    members = set(MEMBERS)
    msgids = [f"<e2e.{run_id}.{system.name}.idle.{i}@bench.example.com>" for i in range(posts)]
    cpu0, _ = system.cpu_seconds()
    start = time.monotonic()
    accepted, refused = {}, {}
    for msgid in msgids:
        base = sink.count()
        _, ok, bad = asyncio.run(lmtp_load.send("127.0.0.1", system.lmtp_port, [msgid], 1, SENDER, LIST))
        accepted.update(ok)
        refused.update(bad)
        if ok and not wait_for(sink, base + len(MEMBERS), stall, f"{system.name} idle post"):
            break
        time.sleep(pause_ms / 1000)
    cpu1, processes = system.cpu_seconds()
    records = sink.records()
    _, first, _, _, _ = tally(records, msgids, members)
    latencies = sorted((max(first[m].values()) - accepted[m]) * 1000 for m in msgids
                       if m in accepted and len(first[m]) == len(MEMBERS))
    row = {
        "scenario": "e2e-idle", "system": system.name, "clients": 1, "posts": posts, "members": len(MEMBERS),
        "pause_ms": pause_ms, "accepted": len(accepted), "refused": len(refused) + (posts - len(accepted) - len(refused)),
        "fully_delivered": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 2) if latencies else None,
        "max_ms": round(latencies[-1], 2) if latencies else None,
        "cpu_ms_per_post": round((cpu1 - cpu0) / posts * 1000, 3), "processes": processes,
        "elapsed_s": round(time.monotonic() - start, 3), "_msgids": msgids,
    }
    check(row, records, members)
    log(f"{system.name} idle, one post at a time: {row['fully_delivered']}/{posts} delivered, p50 {row['p50_ms']} ms, "
        f"p99 {row['p99_ms']} ms, max {row['max_ms']} ms")
    return row


def run_system(system, sink, posts, idle_posts, pause_ms, clients_list, stall, run_id):
    log(f"starting {system.title} ({system.describe()})")
    t0 = time.monotonic()
    system.start()
    log(f"{system.title}: LMTP on {system.lmtp_port} after {time.monotonic() - t0:.1f} s; warming up with {WARMUP_POSTS} posts")
    warm = [f"<e2e.{run_id}.{system.name}.warmup.{i}@bench.example.com>" for i in range(WARMUP_POSTS)]
    base = sink.count()
    _, accepted, refused = asyncio.run(lmtp_load.send("127.0.0.1", system.lmtp_port, warm, 1, SENDER, LIST))
    if refused or not wait_for(sink, base + len(accepted) * len(MEMBERS), max(stall, 120), f"{system.name} warm-up"):
        raise RuntimeError(f"{system.title} did not deliver the warm-up posts (refused: {refused}); see {system.work}")
    # What the system burns doing nothing (timers, polling, background compilation), to read the
    # CPU per post against.
    cpu0, _ = system.cpu_seconds()
    time.sleep(QUIET_S)
    quiet_cpu = (system.cpu_seconds()[0] - cpu0) / QUIET_S
    log(f"{system.title}: {quiet_cpu * 1000:.0f} CPU ms per second with no mail")
    rows = [run_idle(system, sink, idle_posts, pause_ms, stall, run_id)] if idle_posts else []
    rows += [run_row(system, sink, posts, c, stall, run_id) for c in clients_list]
    # Late duplicates (a retried delivery) would arrive after the row drained: recount after a pause.
    time.sleep(3)
    records = sink.records()
    for row in rows:
        check(row, records, set(MEMBERS))
    clean = system.stop()
    log(f"{system.title} stopped {'cleanly' if clean else 'only by SIGKILL'}")
    setup = {"scenario": "e2e-system", "system": system.name, "title": system.title, "runners": system.describe(),
             "posts_per_row": posts, "members": len(MEMBERS), "quiet_cpu_ms_per_s": round(quiet_cpu * 1000, 1),
             "stopped_cleanly": clean}
    return setup, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--host-dll", required=True)
    ap.add_argument("--systems", default="runnerhost,mailman")
    ap.add_argument("--posts", type=int, default=2000)
    ap.add_argument("--mailman-posts", type=int, default=300)
    ap.add_argument("--idle-posts", type=int, default=50)
    ap.add_argument("--mailman-idle-posts", type=int, default=10)
    ap.add_argument("--pause-ms", type=float, default=20)
    ap.add_argument("--clients", default="1 8 32")
    ap.add_argument("--stall", type=float, default=60)
    a = ap.parse_args()
    clients = [int(c) for c in a.clients.split()]
    if (not clients or any(c < 1 or c > 64 for c in clients) or a.posts < 1 or a.mailman_posts < 1
            or a.idle_posts < 0 or a.mailman_idle_posts < 0 or not 0 <= a.pause_ms <= 60000):
        ap.error("--clients takes 1..64 connections per row, --posts and --mailman-posts at least 1, "
                 "the idle posts 0 or more, --pause-ms 0..60000")
    names = a.systems.split(",")
    if any(n not in ("runnerhost", "mailman") for n in names):
        ap.error("--systems takes runnerhost and/or mailman")

    # Every way out (an exception, Ctrl-C, SIGTERM, SIGHUP) goes through the finally below.
    def leave(signum, _frame):
        raise SystemExit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, leave)

    run_id = uuid.uuid4().hex[:8]
    sink = SinkClient(a.work)
    live = []
    failed = False
    try:
        for name in names:
            work = os.path.join(a.work, name)
            os.makedirs(work, exist_ok=True)
            if name == "runnerhost":
                system = RunnerHostSystem(work, LIST, OWNER, MEMBERS, sink.smtp_port, a.host_dll)
                posts, idle = a.posts, a.idle_posts
            else:
                system = MailmanSystem(work, LIST, OWNER, MEMBERS, sink.smtp_port)
                posts, idle = a.mailman_posts, a.mailman_idle_posts
            live.append(system)
            setup, rows = run_system(system, sink, posts, idle, a.pause_ms, clients, a.stall, run_id)
            print(json.dumps(setup), flush=True)
            for row in rows:
                del row["_msgids"]
                if not row["exactly_once"]:
                    failed = True
                    log(f"FAIL {system.title} {row['scenario']} {row['clients']} clients: {row['accepted']}/{row['posts']} accepted, "
                        f"{row['refused']} refused, {row['missing']} member deliveries missing, "
                        f"{row['duplicates']} duplicated, {row['strays']} to non-members")
                print(json.dumps(row), flush=True)
    finally:
        for system in live:
            system.kill()
        sink.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
