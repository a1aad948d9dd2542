#!/usr/bin/env python3
"""bench/delay_proxy.py PORT_FILE TARGET_PORT DELAY_MS

A TCP proxy on 127.0.0.1 for bench/replicate.sh --target-delay: every chunk read from either
side is written to the other DELAY_MS milliseconds later, in order, so a client sees a round
trip of 2 x DELAY_MS more than the server's (plus the proxy's own scheduling).  It listens on
a free port, writes it to PORT_FILE, and exits when the process that started it is gone.
"""
import asyncio
import os
import sys
import time


async def pump(reader, writer, delay):
    queue = asyncio.Queue()

    async def drain():
        while True:
            due, data = await queue.get()
            if not data:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.create_task(drain())
    while True:
        try:
            data = await reader.read(65536)
        except ConnectionError:
            data = b""
        await queue.put((time.monotonic() + delay, data))
        if not data:
            break
    await sender


async def main(port_file, target_port, delay):
    async def handle(client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(pump(client_reader, server_writer, delay),
                             pump(server_reader, client_writer, delay), return_exceptions=True)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(0.5)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000))
