"""A fast SMTP sink: accepts every message, keeps none, counts them.

    python -m bench.smtp_sink PORT      # prints "messages=N bytes=M" on SIGTERM

Just enough SMTP for smtplib (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) on
asyncio; aiosmtpd parses every message and would be the bottleneck.
"""

import asyncio
import signal
import sys

count = 0
size = 0


async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global count, size
    writer.write(b"220 bench sink ESMTP\r\n")
    try:
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                body = await reader.readuntil(b"\r\n.\r\n")
                count += 1
                size += len(body)
                writer.write(b"250 OK queued\r\n")
            elif verb in (b"EHLO", b"HELO"):
                writer.write(b"250-bench\r\n250 8BITMIME\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(session, "127.0.0.1", port, limit=2**24)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    async with server:
        await stop.wait()
    print(f"messages={count} bytes={size}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
