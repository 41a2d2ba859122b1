"""A TCP proxy for outage tests: forwards 127.0.0.1:<port> to a real service, and can be cut.

``cut()`` closes every forwarded connection and stops listening (new connections are
refused), which is what a client sees when a database server goes away; ``restore()``
listens again on the same port. The machine's own services are never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct

_LINGER_RST = struct.pack("ii", 1, 0)


class TcpProxy:
    """Forwards connections to ``target_host:target_port``; ``port`` is chosen at start."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen (on a free port the first time, on the same port after a cut)."""
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Close every connection and refuse new ones until ``restore``."""
        server, self._server = self._server, None
        if server is not None:
            server.close()  # stop listening first: nothing new gets in
        for writer in list(self._writers):
            with contextlib.suppress(OSError):
                # RST, not FIN: what the peer of a vanished server sees.
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
                writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._writers.clear()
        if server is not None:
            await server.wait_closed()  # (3.12+) waits for the handlers, ended above

    async def restore(self) -> None:
        """Accept connections again, on the same port."""
        await self.start()

    async def close(self) -> None:
        """Cut for good."""
        await self.cut()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
                self._tasks.discard(pump)
            for w in (writer, up_writer):
                self._writers.discard(w)
                with contextlib.suppress(OSError, RuntimeError):
                    w.close()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
