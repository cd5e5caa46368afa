"""Make docs/serve.png: the explorer on real vectors, one analogy solved and one word searched.

    embeddings train w2v corpora/war_and_peace.txt --skipgram --lang ru --epochs 10 --min-count 3 -o /tmp/wp/vectors.txt
    python docs/make_serve_screenshot.py /tmp/wp/vectors.txt docs/serve.png

Needs Debian's chromium (as the browser tests do); the map is t-SNE of the 1,000 most frequent
words, cached beside the vectors.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright

from embeddings.keyedvectors import KeyedVectors
from embeddings.serve import LocalServer, WordMap, cache_path_for, create_app, resolve_vectors


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("vectors", help="vectors file or pipeline run directory")
    ap.add_argument("output", type=Path)
    ap.add_argument("--word", default="князь")
    ap.add_argument("--analogy", default="граф - князь + княгиня")
    ap.add_argument("--map", default="tsne", choices=["pca", "tsne"])
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()

    path = resolve_vectors(args.vectors)
    kv = KeyedVectors.load_word2vec_format(path)
    word_map = WordMap(kv, 1000, args.map, cache_path_for(path, args.map)).start()
    with LocalServer(create_app(kv, word_map, source=path.name), "127.0.0.1", 0) as server:
        if not word_map.wait(600):
            raise SystemExit("the map took more than 10 minutes")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 760}, device_scale_factor=1)
            page.goto(server.url)
            page.wait_for_function("() => document.getElementById('map').dataset.points > 0")
            page.fill("#expr", args.analogy)
            page.press("#expr", "Enter")
            page.locator("#answers li").first.wait_for()
            page.fill("#word", args.word)
            page.press("#word", "Enter")
            page.locator("#neighbours li").nth(9).wait_for()
            page.wait_for_function("() => document.getElementById('map').dataset.highlighted > 1")
            page.screenshot(path=str(args.output))
            browser.close()
    print(f"{args.output}: {args.word!r} and {args.analogy!r} on {len(kv):,} vectors from {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
