"""The README's main job: the whole toolkit on a bundled corpus.

``./run.sh main`` runs ``python -m cli.main``, which is ``embeddings pipeline`` on War and
Peace (volume 1) into ``runs/main``.  Extra arguments go to ``embeddings pipeline``, e.g.
``./run.sh main --lm-epochs 1`` or ``./run.sh main -o runs/other``.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence

from corpora import corpus_path

from .embeddings import main as embeddings_main

DEFAULT_RUN_DIR = "runs/main"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "-o" not in argv and "--output" not in argv:
        argv = ["-o", DEFAULT_RUN_DIR, *argv]
    return embeddings_main(["pipeline", str(corpus_path("war_and_peace")), *argv])


if __name__ == "__main__":
    raise SystemExit(main())
