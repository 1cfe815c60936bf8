"""Measures GNU Mailman 3.3.8's own Switchboard and runner loop (run by bench/compare-mailman.sh).

Initializes Mailman (mailman.core.initialize) on a throw-away layout under a temp directory with a
generated mailman.cfg (SQLite database, null MTA), creates the list bench@example.com, and prints
one JSON line per scenario:

* switchboard: per message, Switchboard.enqueue (write, flush, fsync, rename; no directory fsync),
  then dequeue (rename .pck -> .bak, unpickle) and finish (unlink); sequential, no listing.
* runner: a forked producer process enqueues N messages while Mailman's real Runner.run() loop (a
  subclass whose _dispose does nothing) lists, dequeues, looks up the list, commits and finishes
  them; sleep_time is the shipped 1 s. Timed from the producer's start to the N-th dispose.

usage: python3 mailman_bench.py MESSAGES
"""
import json
import multiprocessing
import os
import sys
import tempfile
import time

MESSAGE = (
    "From: aperson@example.com\n"
    "To: bench@example.com\n"
    "Subject: benchmark message from producer 0\n"
    "Message-ID: <bench-0@example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n" + ("x" * 63 + "\n") * 16
)


def setup(root):
    cfg = os.path.join(root, "mailman.cfg")
    with open(cfg, "w") as f:
        f.write(
            "[mailman]\nlayout: bench\nsite_owner: owner@example.com\n\n"
            "[paths.bench]\nvar_dir: {}\n\n"
            "[mta]\nincoming: mailman.mta.null.NullMTA\n\n"
            "[runner.in]\nsleep_time: 1s\n".format(os.path.join(root, "var"))
        )
    from mailman.core.initialize import initialize
    initialize(cfg)
    from mailman.config import config
    from zope.component import getUtility
    from mailman.interfaces.domain import IDomainManager
    from mailman.app.lifecycle import create_list
    getUtility(IDomainManager).add("example.com")
    create_list("bench@example.com")
    config.db.commit()
    return config


def new_message():
    import email
    from mailman.email.message import Message
    return email.message_from_string(MESSAGE, Message)


def switchboard_round_trip(config, messages):
    from mailman.core.switchboard import Switchboard
    sb = Switchboard("rt", os.path.join(config.QUEUE_DIR, "rt"))
    msg = new_message()
    start = time.perf_counter()
    for _ in range(messages):
        filebase = sb.enqueue(msg, listid="bench.example.com")
        sb.dequeue(filebase)
        sb.finish(filebase)
    elapsed = time.perf_counter() - start
    return {"scenario": "mailman-switchboard", "messages": messages, "fsync": True,
            "elapsed_s": round(elapsed, 3), "msgs_per_s": round(messages / elapsed, 3)}


def produce(messages):
    from mailman.config import config
    msg = new_message()
    sb = config.switchboards["in"]
    for _ in range(messages):
        sb.enqueue(msg, listid="bench.example.com")


def runner_loop(config, messages):
    from mailman.core.runner import Runner

    class NoOpRunner(Runner):
        count = 0

        def _dispose(self, mlist, msg, msgdata):
            NoOpRunner.count += 1
            if NoOpRunner.count >= messages:
                self._stop = True
            return False

    runner = NoOpRunner("in")
    # fork: the child inherits the initialized configuration.
    producer = multiprocessing.get_context("fork").Process(target=produce, args=(messages,))
    start = time.perf_counter()
    producer.start()
    runner.run()
    elapsed = time.perf_counter() - start
    producer.join()
    return {"scenario": "mailman-runner", "messages": messages, "fsync": True, "sleep_time_s": runner.sleep_float,
            "elapsed_s": round(elapsed, 3), "msgs_per_s": round(messages / elapsed, 3)}


def main():
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory(prefix="mailman-bench-") as root:
        config = setup(root)
        print(json.dumps(switchboard_round_trip(config, messages)), flush=True)
        print(json.dumps(runner_loop(config, messages)), flush=True)


if __name__ == "__main__":
    main()
