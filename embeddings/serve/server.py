"""Running the explorer: vectors from a file or a pipeline run directory, a socket bound
before anything else starts (so a taken port is one clear error), and uvicorn on it.

``LocalServer.run()`` blocks until Ctrl-C (uvicorn finishes the requests in flight, then the
interrupt goes on to the caller as ``KeyboardInterrupt``); ``start()`` runs the same server
in a thread, for tests and notebooks, and ``stop()`` ends it.
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn
from threadpoolctl import threadpool_limits

from textprep.errors import InputError

from ..keyedvectors import KeyedVectors
from .app import create_app
from .queries import Limits
from .wordmap import WordMap, cache_path_for

RUN_VECTORS = "vectors.txt"          # what a pipeline run directory holds after its word2vec stage
MAX_REQUEST_LINE = 256 * 1024        # h11 refuses longer request lines; shorter ones reach the limits
MAX_CONNECTIONS = 200                # past this uvicorn answers 503 instead of queueing more work


def resolve_vectors(path: str | Path) -> Path:
    """A vectors file, or the ``vectors.txt`` of a pipeline run directory."""
    path = Path(path)
    if path.is_dir():
        inner = path / RUN_VECTORS
        if not inner.is_file():
            raise InputError(f"{path}: a directory without {RUN_VECTORS} (a pipeline run directory has one "
                             "after its word2vec stage)")
        return inner
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    return path


def url_for(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one); a one-line ``OSError`` if not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise OSError(f"cannot listen on {host}:{port}: unknown host ({exc.strerror})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


class LocalServer:
    """uvicorn serving ``app`` on a socket bound at construction."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 8000):
        self.sock = bind(host, port)
        self.port = self.sock.getsockname()[1]
        self.url = url_for(host, self.port)
        config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="off",
                                limit_concurrency=MAX_CONNECTIONS, h11_max_incomplete_event_size=MAX_REQUEST_LINE,
                                timeout_graceful_shutdown=5)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Serve until Ctrl-C (in the main thread) or ``stop()``.

        BLAS runs on one thread meanwhile (a process-wide setting, restored on return): the
        similarity products go through one worker (``NearestWords``) while the other cores
        answer HTTP, and BLAS threads started by concurrent callers would spin against each
        other (twenty clients: 17 requests/s with them, over 600 without, on 2 cores).
        """
        try:
            with threadpool_limits(limits=1, user_api="blas"):
                self._server.run(sockets=[self.sock])
        finally:
            self.sock.close()

    def start(self, timeout: float = 30.0) -> LocalServer:
        """Serve in a daemon thread; returns once requests are answered."""
        self._thread = threading.Thread(target=self.run, name="explorer-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server at {self.url} did not start within {timeout} s")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(path: str | Path, host: str = "127.0.0.1", port: int = 8000, map_method: str = "pca",
          map_words: int = 1000, on_ready: Callable[[str, KeyedVectors, Path], None] | None = None) -> None:
    """Load the vectors at ``path`` (file or run directory) and serve them until Ctrl-C.

    The map is cached beside the vectors (``vectors.txt.map-pca.npz``); ``on_ready(url, kv,
    vectors_path)`` is called once the port is open, before the map is done.
    """
    limits = Limits()
    if not 2 <= map_words <= limits.map_words_max:
        raise InputError(f"map words must be from 2 to {limits.map_words_max}, got {map_words}")
    vectors_path = resolve_vectors(path)
    kv = KeyedVectors.load_word2vec_format(vectors_path)
    word_map = WordMap(kv, map_words, map_method, cache_path=cache_path_for(vectors_path, map_method))
    server = LocalServer(create_app(kv, word_map, limits, source=vectors_path.name), host, port)
    word_map.start()
    if on_ready is not None:
        on_ready(server.url, kv, vectors_path)
    server.run()
