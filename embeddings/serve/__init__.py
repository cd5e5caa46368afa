"""A local web explorer for word vectors: neighbours, analogies and a zoomable map.

``create_app(kv)`` is the FastAPI application; ``LocalServer`` runs it with uvicorn on
127.0.0.1; ``serve(path)`` does both for a vectors file or a pipeline run directory (the
``embeddings serve`` command).  The page, its script and its styles ship inside this package
(``static/``), so the explorer works offline.  docs/serve.md describes the API and its limits.
"""
from .app import create_app
from .queries import Limits, QueryError
from .server import LocalServer, resolve_vectors, serve
from .wordmap import WordMap, cache_path_for

__all__ = ["Limits", "LocalServer", "QueryError", "WordMap", "cache_path_for", "create_app", "resolve_vectors",
           "serve"]
