"""The SMTP sink behind both systems of the end-to-end benchmark (bench/e2e/e2e.py starts it).

A minimal asyncio SMTP server (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; PIPELINING and 8BITMIME
advertised, as Postfix does) that accepts everything and records, for every accepted RCPT TO of every
message, (Message-ID, recipient, CLOCK_MONOTONIC time of the 250 after the data). The clock is
system-wide on Linux, so the times compare with the load client's in another process.

A second port takes one-line commands and answers one JSON line:
  COUNT   {"deliveries": N}                     deliveries recorded so far
  DUMP    {"records": [[msgid, rcpt, t], ...]}  everything recorded so far

usage: python3 smtp_sink.py   (prints "SMTP_PORT CONTROL_PORT" once listening on 127.0.0.1)
"""
import asyncio
import json
import re
import sys
import time

MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)
MAX_LINE = 4096
MAX_DATA = 16 * 1024 * 1024


class Sink:
    def __init__(self):
        self.records = []

    async def session(self, reader, writer):
        try:
            await self._session(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _session(self, reader, writer):
        writer.write(b"220 sink ESMTP\r\n")
        rcpts = []
        mail = False
        while True:
            line = await reader.readline()
            if not line:
                return
            if len(line) > MAX_LINE:
                writer.write(b"500 line too long\r\n")
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 33554432\r\n")
            elif verb == b"HELO":
                writer.write(b"250 sink\r\n")
            elif verb == b"MAIL":
                mail, rcpts = True, []
                writer.write(b"250 2.1.0 Ok\r\n")
            elif verb == b"RCPT":
                m = re.search(rb"<([^>]*)>", line)
                if not mail or m is None:
                    writer.write(b"503 5.5.1 bad sequence\r\n")
                else:
                    rcpts.append(m.group(1).decode("utf-8", "replace").lower())
                    writer.write(b"250 2.1.5 Ok\r\n")
            elif verb == b"DATA":
                if not rcpts:
                    writer.write(b"503 5.5.1 no recipients\r\n")
                    continue
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                data = await self._read_data(reader)
                now = time.monotonic()
                m = MESSAGE_ID.search(data, 0, data.find(b"\r\n\r\n") if b"\r\n\r\n" in data else len(data))
                msgid = m.group(1).decode("utf-8", "replace") if m else ""
                for rcpt in rcpts:
                    self.records.append((msgid, rcpt, now))
                mail, rcpts = False, []
                writer.write(b"250 2.0.0 Ok: queued\r\n")
            elif verb == b"RSET":
                mail, rcpts = False, []
                writer.write(b"250 2.0.0 Ok\r\n")
            elif verb == b"NOOP":
                writer.write(b"250 2.0.0 Ok\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 Bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"502 5.5.2 not implemented\r\n")
            # Pipelined commands already in the buffer are answered before the replies are flushed.
            if not reader._buffer:  # noqa: SLF001 - the only way to see what is already read
                await writer.drain()

    @staticmethod
    async def _read_data(reader):
        # Ends at a line holding only "."; dot-stuffing is left in place (only headers are read).
        data = await reader.readline()
        if data in (b".\r\n", b".\n"):
            return b""
        while not data.endswith(b"\r\n.\r\n"):
            try:
                data += await reader.readuntil(b".\r\n")
            except asyncio.LimitOverrunError as e:
                data += await reader.readexactly(e.consumed)
            if len(data) > MAX_DATA:
                raise ConnectionError("message too large")
        return data[:-3]

    async def control(self, reader, writer):
        try:
            while True:
                line = (await reader.readline()).strip().upper()
                if not line:
                    return
                if line == b"COUNT":
                    writer.write(json.dumps({"deliveries": len(self.records)}).encode() + b"\n")
                elif line == b"DUMP":
                    writer.write(json.dumps({"records": self.records}).encode() + b"\n")
                else:
                    writer.write(b'{"error": "unknown command"}\n')
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


async def main():
    sink = Sink()
    smtp = await asyncio.start_server(sink.session, "127.0.0.1", 0, limit=1 << 20)
    ctl = await asyncio.start_server(sink.control, "127.0.0.1", 0)
    print(smtp.sockets[0].getsockname()[1], ctl.sockets[0].getsockname()[1], flush=True)
    async with smtp, ctl:
        await asyncio.gather(smtp.serve_forever(), ctl.serve_forever())


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
