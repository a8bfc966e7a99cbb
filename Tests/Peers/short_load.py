#!/usr/bin/env python3
"""Short connections as fast as they go (bench/forward.sh): short_load.py HOST PORT TOTAL CONCURRENCY

CONCURRENCY clients at once (asyncio, one thread), TOTAL connections in all: each
connects, sends one byte, reads its echo, and closes. Prints "rate R failures F" (R:
connections per second, from the first connect to the last close)."""
import asyncio
import sys
import time


async def main(host, port, total, concurrency):
    remaining = total
    failures = 0

    async def worker():
        nonlocal remaining, failures
        while remaining > 0:
            remaining -= 1
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
                writer.write(b"x")
                if await asyncio.wait_for(reader.read(1), 10) != b"x":
                    failures += 1
                writer.close()
                await writer.wait_closed()
            except (OSError, asyncio.TimeoutError):
                failures += 1

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.monotonic() - start
    print(f"rate {total / elapsed:.0f} failures {failures}")


asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
