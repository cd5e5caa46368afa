"""``embeddings serve``: the local web explorer for word vectors (neighbours, analogies, a map).

The web stack (FastAPI, uvicorn) is imported when the command runs, not when the parser is
built, so ``embeddings --help`` and the other commands start as fast as before.
"""
from __future__ import annotations

import argparse
import sys

from .common import add_subparser


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be an integer from 0 to 65535 (0: any free port), got {text!r}")
    return port


def _count(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    from embeddings.serve import serve

    def announce(url, kv, path) -> None:
        print(f"serving {len(kv):,} words of dimension {kv.vector_size} from {path} at {url} (Ctrl-C stops)",
              flush=True)

    serve(args.vectors, host=args.host, port=args.port, map_method=args.map, map_words=args.map_words,
          on_ready=announce)
    return 0


def register(sub) -> None:
    p = add_subparser(sub, "serve", "explore word vectors in the browser: neighbours, analogies, a zoomable map",
                      example="embeddings serve runs/main --port 8000")
    p.add_argument("vectors", metavar="VECTORS_OR_RUN_DIR",
                   help="word2vec vectors file (.bin: binary), or a pipeline run directory with vectors.txt")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (127.0.0.1: this machine only; 0.0.0.0 opens it to the network)")
    p.add_argument("--port", type=_port, default=8000, help="TCP port (0: any free port)")
    p.add_argument("--map", choices=["pca", "tsne"], default="pca",
                   help="projection of the map (computed once in the background, cached beside the vectors)")
    p.add_argument("--map-words", type=_count, default=1000, help="the most frequent words on the map (2 to 5000)")
    p.set_defaults(func=cmd_serve)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run it as: embeddings serve VECTORS")
