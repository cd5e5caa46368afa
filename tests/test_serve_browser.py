"""The explorer's page in a real headless Chromium (Debian's ``chromium``, driven by playwright).

``./run.sh test`` installs the browser when it runs as root; without one these tests fail and
say so, since a skipped browser test would pass nothing.  Every request the page makes must go
to the explorer itself, and the browser's console must stay free of errors (a blocked load
from elsewhere would show there).  Screenshots are written to the test's own folder and, when
``SERVE_ARTEFACTS`` names a folder, copied there.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from serve_helpers import known_vectors

from embeddings.serve import LocalServer, WordMap, create_app

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(f"the browser tests need playwright (pip install -e '.[dev]'): {exc}")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium package (./run.sh test does it as root) "
                    "or set CHROMIUM to a Chromium binary")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, timeout=60_000,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server():
    kv = known_vectors()
    word_map = WordMap(kv, 200).start()
    with LocalServer(create_app(kv, word_map, source="known.txt"), "127.0.0.1", 0) as running:
        assert word_map.wait(30)
        yield running


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.requests, page.problems = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.goto(server.url)
    page.wait_for_function("() => document.getElementById('map').dataset.points > 0")
    yield page
    assert all(url.startswith(server.url) or url.startswith("data:") for url in page.requests), page.requests
    context.close()


def screenshot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("SERVE_ARTEFACTS"):
        folder = Path(os.environ["SERVE_ARTEFACTS"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / name)
    print(f"screenshot: {path}")
    return path


def painted_pixels(page) -> int:
    return page.evaluate("""() => {
        const c = document.getElementById('map');
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        return n;
    }""")


def test_typing_a_word_shows_its_neighbours_on_the_list_and_the_map(page, tmp_path):
    assert page.locator("h1").inner_text() == "Word vectors"
    assert page.locator("#info").inner_text().startswith("316 words, dimension 16")
    page.fill("#word", "король")
    page.press("#word", "Enter")
    items = page.locator("#neighbours li")
    items.nth(9).wait_for()
    assert items.count() == 10
    assert items.nth(0).locator("button").inner_text() == "принц"
    assert float(items.nth(0).locator(".score").inner_text()) == pytest.approx(0.866, abs=0.02)
    page.wait_for_function("() => document.getElementById('map').dataset.highlighted == 11")
    screenshot(page, tmp_path, "serve-neighbours.png")
    assert page.problems == []


def test_an_analogy_gives_its_answer_in_both_languages(page, tmp_path):
    page.fill("#expr", "король - мужчина + женщина")
    page.click("#analogy-form button[type=submit]")
    first = page.locator("#answers li").first.locator("button")
    first.wait_for()
    assert first.inner_text() == "королева"
    page.fill("#expr", "king - man + woman")
    page.press("#expr", "Enter")
    page.wait_for_function("() => document.querySelector('#answers li button').textContent === 'queen'")
    screenshot(page, tmp_path, "serve-analogy.png")
    assert page.problems == []


def test_errors_are_shown_on_the_page(page):
    page.fill("#word", "дракон")
    page.press("#word", "Enter")
    page.wait_for_function("() => document.getElementById('search-error').textContent.includes('дракон')")
    assert page.locator("#neighbours li").count() == 0
    page.fill("#expr", "король мужчина")
    page.press("#expr", "Enter")
    page.wait_for_function("() => document.getElementById('analogy-error').textContent.includes('missing')")
    page.fill("#word-a", "king")
    page.fill("#word-b", "queen")
    page.press("#word-b", "Enter")
    page.wait_for_function("() => document.getElementById('similarity').textContent.includes('king · queen')")


def test_the_map_has_points_zooms_pans_and_names_a_point_on_hover(page, tmp_path):
    canvas = page.locator("#map")
    shown = int(canvas.get_attribute("data-points"))
    assert shown == 200
    assert painted_pixels(page) > 200 * 4     # every point is a 3x3 square, some overlap
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -1500)                # zoom far in: fewer points stay in view
    page.wait_for_function(f"() => document.getElementById('map').dataset.points < {shown}")
    page.click("#map-reset")
    page.wait_for_function(f"() => document.getElementById('map').dataset.points == {shown}")
    page.mouse.move(box["x"] + 50, box["y"] + 50)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 20, box["y"] + box["height"] - 20, steps=5)
    page.mouse.up()                           # dragged most of the map out of view
    page.wait_for_function(f"() => document.getElementById('map').dataset.points < {shown}")
    page.click("#map-reset")

    page.fill("#word", "queen")
    page.press("#word", "Enter")
    page.wait_for_function("() => document.getElementById('map').dataset.query !== ''")
    x, y = map(float, canvas.get_attribute("data-query").split(","))
    page.mouse.move(box["x"] + x, box["y"] + y)
    tooltip = page.locator("#tooltip")
    tooltip.wait_for(state="visible")
    assert tooltip.inner_text() == "queen"
    screenshot(page, tmp_path, "serve-map.png")
    assert page.problems == []


def test_the_page_speaks_russian_and_english(page):
    page.click("[data-lang=ru]")
    assert page.locator("h1").inner_text() == "Векторы слов"
    assert page.locator("label[for=word]").inner_text() == "Ближайшие слова"
    assert page.locator("#map-status").inner_text().startswith("на карте 200 слов")
    page.reload()
    page.wait_for_function("() => document.getElementById('map').dataset.points > 0")
    assert page.locator("h1").inner_text() == "Векторы слов"     # the choice is remembered
    page.click("[data-lang=en]")
    assert page.locator("h1").inner_text() == "Word vectors"
    assert page.locator("#map-status").inner_text() == "200 words on the map (pca)"
