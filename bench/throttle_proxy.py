#!/usr/bin/env python3
"""A loopback TCP proxy that throttles to a given rate: a link, not loopback, between a tool
and the registry.

Usage: throttle_proxy.py LISTEN_PORT TARGET_PORT RATE_BITS_PER_SECOND

Each direction is one link shared by every connection (a token bucket refilled at RATE with
a 64 KiB burst), the way parallel uploads share a runner's uplink. Bytes are forwarded as
they come; nothing is buffered beyond one read. Prints `ready` on stdout once listening.
"""
import asyncio
import sys
import time


class Link:
    def __init__(self, rate_bytes):
        self.rate = rate_bytes
        self.burst = 64 * 1024
        self.tokens = self.burst
        self.last = time.monotonic()
        self.lock = asyncio.Lock()

    async def take(self, n):
        async with self.lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
                self.last = now
                if self.tokens >= n:
                    self.tokens -= n
                    return
                await asyncio.sleep((n - self.tokens) / self.rate)


async def pipe(reader, writer, link):
    try:
        while True:
            data = await reader.read(16 * 1024)
            if not data:
                break
            await link.take(len(data))
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    listen, target, rate_bits = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    up, down = Link(rate_bits / 8), Link(rate_bits / 8)

    async def handle(client_r, client_w):
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(pipe(client_r, server_w, up), pipe(server_r, client_w, down))

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
