"""Serving an ASGI app with uvicorn inside the current event loop (demo site, tests, CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Literal

import uvicorn

__all__ = ["ServingThread", "bind_socket", "serve_in_loop"]


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one (read it from ``getsockname``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when
    # the socket's proto says TCP (0 does not), and without it Nagle's algorithm and
    # delayed ACKs add ~40 ms to every response after the first on a keep-alive connection.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class _EmbeddedServer(uvicorn.Server):
    """uvicorn's server without its SIGINT/SIGTERM handlers.

    ``uvicorn.Server.serve`` replaces the process's handlers (even the event loop's) with
    its own, shuts itself down on the signal and re-raises it afterwards. A server embedded
    in a program (the demo site next to a run, a test server) must leave signals to that
    program: otherwise Ctrl-C or SIGTERM stops the demo site first, while the run still
    has requests in flight, and only then reaches the program, which cancels the run.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve_in_loop(
    app: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    lifespan: Literal["on", "off", "auto"] = "on",
    log_level: str = "warning",
) -> AsyncIterator[str]:
    """Serve ``app`` until the block exits; yields the base URL (``http://host:port``).

    The app's lifespan runs at start and end (unless ``lifespan="off"``), so the block is
    entered only once the app is ready. Signals are left to the caller: the server stops
    when the block exits.
    """
    sock = bind_socket(host, port)
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan=lifespan,
        timeout_graceful_shutdown=1,
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"uvicorn-{host}")
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("server stopped while starting")
            await asyncio.sleep(0.01)
        shown = f"[{host}]" if ":" in host else host
        yield f"http://{shown}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


class ServingThread:
    """An app served by ``serve_in_loop`` in a thread with its own event loop.

    For callers that are not async themselves (browser tests, benchmarks driving a
    browser): ``start()`` returns the base URL once the app is ready, ``stop()`` shuts it
    down. ``make_app`` is called in the thread, so the app belongs to that loop.
    """

    def __init__(self, make_app: Callable[[], Any], *, name: str = "crawlscope-server") -> None:
        self.make_app = make_app
        self.url = ""
        self._ready: queue.Queue[str | BaseException] = queue.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the thread that called start()
            self._ready.put(exc)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with serve_in_loop(self.make_app()) as url:
            self._ready.put(url)
            await self._stop.wait()

    def start(self, timeout: float = 60.0) -> str:
        """Start serving; the base URL. Raises ``RuntimeError`` if the app did not start."""
        self._thread.start()
        got = self._ready.get(timeout=timeout)
        if isinstance(got, BaseException):
            raise RuntimeError(f"the server did not start: {got!r}") from got
        self.url = got
        return got

    def stop(self, timeout: float = 30.0) -> None:
        """Shut the app down (its lifespan ends) and wait for the thread."""
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=timeout)
