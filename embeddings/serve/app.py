"""The explorer as a FastAPI application: one page, its assets and a small JSON API.

    GET /                      the page (static/index.html)
    GET /static/{name}         app.js, app.css (a fixed table: nothing else is served)
    GET /api/info              vocabulary size, dimension, map status, limits
    GET /api/similar?word=&topn=
    GET /api/analogy?expr=&topn=&method=
    GET /api/similarity?a=&b=
    GET /api/map[?words=...&words=...][&points=0]

Every error is JSON, ``{"error": "...", "param": ..., "words": [...], "position": ...}``
with a 4xx status (5xx only for a fault of the server, and then without a traceback).
The handlers are plain functions, which FastAPI runs in its thread pool; the similarity
products of concurrent requests go together through ``NearestWords`` (numpy releases the GIL
meanwhile), beside the map's background thread.
"""
from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..keyedvectors import KeyedVectors
from . import queries
from .assets import CONTENT_SECURITY_POLICY, load_assets
from .nearest import NearestWords
from .queries import Limits, QueryError
from .wordmap import WordMap

log = logging.getLogger(__name__)

JSON_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
PAGE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache",
                "Content-Security-Policy": CONTENT_SECURITY_POLICY, "Referrer-Policy": "no-referrer"}


def _json(body: dict, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=JSON_HEADERS)


def create_app(kv: KeyedVectors, word_map: WordMap | None = None, limits: Limits | None = None,
               source: str = "") -> FastAPI:
    """The application for ``kv``; ``word_map`` (started by the caller) answers ``/api/map``.

    Without a ``word_map`` the map of the 1,000 most frequent words by PCA is made here,
    uncached, and started.
    """
    limits = limits or Limits()
    if word_map is None:
        word_map = WordMap(kv, n_words=min(1000, limits.map_words_max)).start()
    # unit vectors computed now, once, rather than by the first concurrent requests
    nearest = NearestWords(kv.unit_vectors)
    assets = load_assets()
    # The interactive API docs would load their scripts from a CDN: left out.
    app = FastAPI(title="embeddings explorer", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.kv, app.state.word_map, app.state.limits, app.state.nearest = kv, word_map, limits, nearest

    # -- errors: always JSON, never a traceback ------------------------------------------
    @app.exception_handler(QueryError)
    async def query_error(request: Request, exc: QueryError) -> JSONResponse:
        return _json(exc.body, exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = {404: f"no such page: {request.url.path[:200]}",
                   405: f"{request.method} is not allowed here; use GET"}.get(exc.status_code, str(exc.detail))
        return _json({"error": message}, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        param = str(first.get("loc", ["", "?"])[-1])
        return _json({"error": f"{param}: {first.get('msg', 'invalid value')}", "param": param}, 422)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        return _json({"error": "internal error; the server log has the details"}, 500)

    # -- the page -------------------------------------------------------------------------
    def asset(name: str) -> Response:
        found = assets.get(name)
        if found is None:
            return _json({"error": f"no such file: {name[:200]!r}"}, 404)
        return Response(found.body, media_type=found.media_type, headers=PAGE_HEADERS)

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return asset("index.html")

    @app.get("/static/{name:path}", include_in_schema=False)
    def static(name: str) -> Response:
        return asset(name)

    # -- the API --------------------------------------------------------------------------
    @app.get("/api/info")
    def info() -> JSONResponse:
        return _json({"words": len(kv), "dim": kv.vector_size, "source": source,
                      "examples": kv.index_to_key[:20],
                      "map": {"status": word_map.status, "method": word_map.method, "words": word_map.n_words},
                      "limits": {"topn": limits.topn_max, "word_chars": limits.word_chars,
                                 "expr_chars": limits.expr_chars, "expr_words": limits.expr_words,
                                 "map_words": limits.extra_words}})

    @app.get("/api/similar")
    def similar(word: str | None = None, topn: str | None = None) -> JSONResponse:
        return _json(queries.similar(kv, word, topn, limits, nearest))

    @app.get("/api/analogy")
    def analogy(expr: str | None = None, topn: str | None = None, method: str | None = None) -> JSONResponse:
        return _json(queries.analogy(kv, expr, topn, method, limits, nearest))

    @app.get("/api/similarity")
    def similarity(a: str | None = None, b: str | None = None) -> JSONResponse:
        return _json(queries.similarity(kv, a, b, limits))

    @app.get("/api/map")
    def word_positions(words: Annotated[list[str] | None, Query()] = None, points: str = "1") -> Response:
        words = words or []
        if len(words) > limits.extra_words:
            raise QueryError(f"words names {len(words)} words, the limit is {limits.extra_words}", 422,
                             param="words", limit=limits.extra_words)
        found = [queries.find_word(kv, w, "words", limits) for w in words]
        status = word_map.status
        if status == "computing":
            return _json({"status": status, "method": word_map.method, "words": word_map.n_words}, 202)
        if status == "failed":
            return _json({"status": status, "error": f"the map could not be computed ({word_map.error})"}, 500)
        extra = word_map.place(found)
        if points in ("0", "false", "no"):
            return _json({"status": status, "method": word_map.method, "extra": extra})
        body = word_map.points_json()
        if extra:   # the map's JSON is encoded once; the asked-for words are spliced in before its last brace
            body = body[:-1] + b',"extra":' + json.dumps(extra, ensure_ascii=False).encode("utf-8") + b"}"
        return Response(body, media_type="application/json", headers=JSON_HEADERS)

    return app
