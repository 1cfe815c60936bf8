"""The LMTP load client of the end-to-end benchmark (used by bench/e2e/e2e.py).

CLIENTS connections (streams) to one LMTP server take posts from one shared counter; each connection
sends its posts one after the other (LHLO once, then MAIL FROM, RCPT TO, DATA per post, no
pipelining) and records the CLOCK_MONOTONIC time of each post's 250 after the data. Any other reply
is recorded as a refusal: a benchmark that loses mail is not a result.
"""
import asyncio
import time

BODY = ("This is the body of an end-to-end benchmark post, about one kilobyte in all.\r\n" * 12)


def message(msgid, sender, list_address, n):
    return (
        f"From: {sender}\r\n"
        f"To: {list_address}\r\n"
        f"Subject: e2e post {n}\r\n"
        f"Message-ID: {msgid}\r\n"
        f"Date: Wed, 02 Dec 2026 12:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n" + BODY
    ).encode()


async def _reply(reader):
    """One whole (possibly multi-line) reply: (code, text)."""
    lines = []
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("LMTP server closed the connection")
        lines.append(line.decode("utf-8", "replace").rstrip())
        if len(line) < 4 or line[3:4] != b"-":
            break
    return int(lines[-1][:3]), " | ".join(lines)


async def _expect(reader, writer, command, want):
    if command is not None:
        writer.write(command)
    code, text = await _reply(reader)
    if code != want:
        raise ConnectionError(f"{command!r} got {text}")


async def _stream(host, port, posts, next_post, sender, list_address, accepted, refused):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await _expect(reader, writer, None, 220)
        await _expect(reader, writer, b"LHLO load.example.com\r\n", 250)
        while True:
            n = next_post()
            if n is None:
                break
            msgid = posts[n]
            await _expect(reader, writer, f"MAIL FROM:<{sender}>\r\n".encode(), 250)
            await _expect(reader, writer, f"RCPT TO:<{list_address}>\r\n".encode(), 250)
            await _expect(reader, writer, b"DATA\r\n", 354)
            writer.write(message(msgid, sender, list_address, n) + b".\r\n")
            code, text = await _reply(reader)   # one reply: one recipient
            if code == 250:
                accepted[msgid] = time.monotonic()
            else:
                refused[msgid] = text
        writer.write(b"QUIT\r\n")
        await writer.drain()
    finally:
        writer.close()


async def send(host, port, msgids, clients, sender, list_address):
    """Sends every Message-ID in msgids as one post. Returns (start, accepted {msgid: t}, refused {msgid: reply})."""
    accepted, refused = {}, {}
    counter = iter(range(len(msgids)))

    def next_post():
        return next(counter, None)

    start = time.monotonic()
    results = await asyncio.gather(
        *(_stream(host, port, msgids, next_post, sender, list_address, accepted, refused) for _ in range(clients)),
        return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException):
            # A broken connection loses the post in hand; it counts as refused.
            refused.setdefault("<connection>", repr(r))
    return start, accepted, refused
