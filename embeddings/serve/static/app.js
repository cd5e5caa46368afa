// The explorer's page: three forms over the JSON API and a canvas map you can zoom and pan.
// Words are only ever put in the page as text (textContent, canvas fillText), never as HTML.
"use strict";
(() => {
  const STRINGS = {
    en: {
      title: "Word vectors", word: "Nearest words", find: "Find", topn: "how many", analogy: "Analogy",
      solve: "Solve", analogyHint: "a - b + c: the word that is to c what a is to b",
      compare: "Similarity of two words", compareGo: "Compare", reset: "Whole map",
      mapHint: "Scroll to zoom, drag to move, point at a dot for its word, click it to search.",
      legendQuery: "query", legendNear: "neighbours / answers", legendMinus: "subtracted",
      info: "{0} words, dimension {1}", computing: "computing the map of {0} words ({1})…",
      ready: "{0} words on the map ({1})", failed: "no map: {0}", cosine: "cosine similarity",
      offline: "the server does not answer", example: "e.g. {0}",
    },
    ru: {
      title: "Векторы слов", word: "Ближайшие слова", find: "Найти", topn: "сколько", analogy: "Аналогия",
      solve: "Решить", analogyHint: "a - b + c: слово, которое относится к c, как a к b",
      compare: "Сходство двух слов", compareGo: "Сравнить", reset: "Вся карта",
      mapHint: "Колесо мыши приближает, перетаскивание двигает, наведите на точку, чтобы увидеть слово, щёлкните, чтобы найти его.",
      legendQuery: "запрос", legendNear: "соседи / ответы", legendMinus: "вычитаемые",
      info: "{0} слов, размерность {1}", computing: "строится карта из {0} слов ({1})…",
      ready: "на карте {0} слов ({1})", failed: "карты нет: {0}", cosine: "косинусное сходство",
      offline: "сервер не отвечает", example: "например, {0}",
    },
  };
  const COLORS = { query: "#d62d20", near: "#f08c00", minus: "#7048e8", dot: "#4a6fa5", label: "#5b6472" };
  const $ = (id) => document.getElementById(id);
  const store = (key, value) => { try { if (value === undefined) return localStorage.getItem(key); localStorage.setItem(key, value); } catch (e) { return null; } return null; };
  let lang = store("lang") || ((navigator.language || "").toLowerCase().startsWith("ru") ? "ru" : "en");
  let info = null;
  const t = (key, ...args) => args.reduce((s, a, i) => s.replace(`{${i}}`, a), STRINGS[lang][key] || STRINGS.en[key] || key);
  const number = (n) => n.toLocaleString(lang === "ru" ? "ru-RU" : "en-US");

  function applyLang() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = t(el.dataset.i18nTitle); });
    document.querySelectorAll("[data-lang]").forEach((el) => el.classList.toggle("active", el.dataset.lang === lang));
    if (info) $("info").textContent = `${t("info", number(info.words), info.dim)} · ${info.source}`;
    showMapStatus();
  }

  async function api(path, params) {
    const url = new URL(path, location.origin);
    for (const [key, value] of Object.entries(params || {})) {
      (Array.isArray(value) ? value : [value]).forEach((v) => url.searchParams.append(key, v));
    }
    try {
      const response = await fetch(url);
      const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
      return { status: response.status, body };
    } catch (e) {
      return { status: 0, body: { error: t("offline") } };
    }
  }

  // -- result lists -----------------------------------------------------------------------
  function renderPairs(list, pairs) {
    list.replaceChildren(...pairs.map(({ word, score }) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = word;
      button.addEventListener("click", () => { $("word").value = word; search(); });
      const bar = document.createElement("div");
      bar.className = "bar";
      const fill = document.createElement("span");
      fill.style.width = `${Math.max(0, Math.min(1, score)) * 100}%`;
      bar.append(fill);
      const value = document.createElement("span");
      value.className = "score";
      value.textContent = score.toFixed(3);
      li.append(button, bar, value);
      return li;
    }));
  }

  async function search() {
    const word = $("word").value.trim();
    if (!word) return;
    const { status, body } = await api("/api/similar", { word, topn: $("topn").value || 10 });
    $("search-error").textContent = status === 200 ? "" : body.error;
    renderPairs($("neighbours"), status === 200 ? body.neighbours : []);
    if (status === 200) highlight([[body.word, "query"], ...body.neighbours.map((p) => [p.word, "near"])]);
  }

  async function solve() {
    const { status, body } = await api("/api/analogy", { expr: $("expr").value, topn: 5 });
    $("analogy-error").textContent = status === 200 ? "" : body.error;
    renderPairs($("answers"), status === 200 ? body.answers : []);
    if (status === 200) {
      highlight([...body.positive.map((w) => [w, "near"]), ...body.negative.map((w) => [w, "minus"]),
        ...body.answers.map((p, i) => [p.word, i === 0 ? "query" : "near"])]);
    }
  }

  async function compare() {
    const { status, body } = await api("/api/similarity", { a: $("word-a").value, b: $("word-b").value });
    $("compare-error").textContent = status === 200 ? "" : body.error;
    $("similarity").textContent = status === 200 ? `${body.a} · ${body.b}: ${t("cosine")} ${body.similarity.toFixed(3)}` : "";
  }

  // -- the map ------------------------------------------------------------------------------
  const canvas = $("map");
  const ctx = canvas.getContext("2d");
  const view = { scale: 1, tx: 0, ty: 0 };
  const map = { status: "computing", method: "", words: [], x: [], y: [], index: new Map(), marks: [], error: "" };

  function showMapStatus() {
    const el = $("map-status");
    if (map.status === "ready") el.textContent = t("ready", number(map.words.length), map.method);
    else if (map.status === "failed") el.textContent = t("failed", map.error);
    else el.textContent = t("computing", info ? number(info.map.words) : "…", info ? info.map.method : "");
  }

  async function loadMap() {
    const { status, body } = await api("/api/map");
    map.status = status === 200 ? "ready" : status === 202 ? "computing" : "failed";
    map.error = body.error || "";
    if (status === 200) {
      Object.assign(map, { method: body.method, words: body.words, x: body.x, y: body.y });
      map.index = new Map(body.words.map((w, i) => [w, i]));
    } else if (status === 202 || status === 0) {
      setTimeout(loadMap, 1000);   // still computing (or the server restarts): ask again
    }
    showMapStatus();
    draw();
  }

  // Marks are the highlighted words with their role; words off the map are placed by the server.
  async function highlight(pairs) {
    const seen = new Set();
    pairs = pairs.filter(([w]) => !seen.has(w) && seen.add(w));
    let placed = new Map();
    const off = pairs.map(([w]) => w).filter((w) => !map.index.has(w));
    if (map.status === "ready" && off.length) {
      const { status, body } = await api("/api/map", { words: off.slice(0, 50), points: 0 });
      if (status === 200) placed = new Map(body.extra.map((p) => [p.word, p]));
    }
    map.marks = [];
    for (const [word, role] of pairs) {
      const i = map.index.get(word);
      const p = i !== undefined ? { x: map.x[i], y: map.y[i] } : placed.get(word);
      if (p) map.marks.push({ word, role, x: p.x, y: p.y, onMap: i !== undefined });
    }
    fitTo(map.marks);
  }

  function size() {
    const ratio = window.devicePixelRatio || 1;
    return { w: canvas.width / ratio, h: canvas.height / ratio, ratio };
  }
  const base = () => { const { w, h } = size(); return Math.min(w, h) / 2 * 0.92; };
  const toScreen = (x, y) => { const { w, h } = size(); const b = base() * view.scale;
    return [w / 2 + view.tx + x * b, h / 2 + view.ty - y * b]; };

  function fitTo(marks) {
    if (!marks.length) { draw(); return; }
    const xs = marks.map((m) => m.x), ys = marks.map((m) => m.y);
    const span = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys), 0.02);
    view.scale = Math.min(40, Math.max(1, 1.2 / span));
    const b = base() * view.scale;
    view.tx = -((Math.max(...xs) + Math.min(...xs)) / 2) * b;
    view.ty = ((Math.max(...ys) + Math.min(...ys)) / 2) * b;
    draw();
  }

  function draw() {
    const { w, h, ratio } = size();
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    let shown = 0;
    ctx.fillStyle = COLORS.dot;
    ctx.globalAlpha = 0.55;
    const screen = map.words.map((_, i) => toScreen(map.x[i], map.y[i]));
    for (const [sx, sy] of screen) {
      if (sx < -4 || sy < -4 || sx > w + 4 || sy > h + 4) continue;
      ctx.fillRect(sx - 1.5, sy - 1.5, 3, 3);
      shown += 1;
    }
    ctx.globalAlpha = 1;
    // Labels where they fit, on a coarse grid of taken cells: the highlighted words first (the
    // query's label always), each right of its dot, else left, above or below; then the most
    // frequent visible words.
    const taken = new Set();
    const claim = (left, sy, width, force) => {
      const cells = [];
      for (let cx = Math.floor(left / 12); cx <= Math.floor((left + width) / 12); cx++) {
        for (let cy = Math.floor((sy - 6) / 14); cy <= Math.floor((sy + 6) / 14); cy++) cells.push(`${cx},${cy}`);
      }
      if (!force && cells.some((c) => taken.has(c))) return false;
      cells.forEach((c) => taken.add(c));
      return true;
    };
    ctx.textBaseline = "middle";
    ctx.font = "bold 13px system-ui, sans-serif";
    const marks = [...map.marks].sort((a, b) => (b.role === "query") - (a.role === "query"));
    const labelled = marks.map((m) => {
      const [sx, sy] = toScreen(m.x, m.y);
      const width = ctx.measureText(m.word).width;
      const spots = [[sx + 8, sy], [sx - 8 - width, sy], [sx - width / 2, sy - 14], [sx - width / 2, sy + 14]];
      let spot = spots.find(([left, y]) => claim(left, y, width, false));
      if (!spot && m.role === "query") { spot = spots[0]; claim(spot[0], spot[1], width, true); }
      return { m, sx, sy, spot };
    });
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillStyle = COLORS.label;
    let labels = 0;
    const maxLabels = Math.min(250, 40 + 25 * view.scale);
    const marked = new Set(map.marks.map((m) => m.word));
    for (let i = 0; i < screen.length && labels < maxLabels; i++) {
      const [sx, sy] = screen[i];
      if (sx < 0 || sy < 0 || sx > w - 20 || sy > h || marked.has(map.words[i])) continue;
      const width = ctx.measureText(map.words[i]).width;
      if (claim(sx + 4, sy, width, false)) { ctx.fillText(map.words[i], sx + 4, sy); labels += 1; }
    }
    for (const { m, sx, sy } of [...labelled].reverse()) {   // the query's dot on top
      ctx.beginPath();
      ctx.arc(sx, sy, m.role === "query" ? 6 : 4.5, 0, 2 * Math.PI);
      ctx.lineWidth = 1.5;
      if (m.onMap) { ctx.fillStyle = COLORS[m.role]; ctx.fill(); ctx.strokeStyle = "#fff"; } else ctx.strokeStyle = COLORS[m.role];
      ctx.stroke();
    }
    ctx.font = "bold 13px system-ui, sans-serif";
    ctx.lineWidth = 3;
    for (const { m, spot } of labelled) {
      if (!spot) continue;   // no room: hovering still names it
      ctx.strokeStyle = "rgba(255,255,255,.85)";
      ctx.strokeText(m.word, spot[0], spot[1]);
      ctx.fillStyle = COLORS[m.role];
      ctx.fillText(m.word, spot[0], spot[1]);
    }
    canvas.dataset.points = String(shown);
    canvas.dataset.highlighted = String(map.marks.length);
    // where the query word is drawn, in CSS pixels of the canvas (read by the browser tests)
    const query = map.marks.find((m) => m.role === "query");
    canvas.dataset.query = query ? toScreen(query.x, query.y).map((v) => v.toFixed(1)).join(",") : "";
  }

  function resize() {
    const ratio = window.devicePixelRatio || 1;
    const rect = canvas.getBoundingClientRect();
    canvas.width = Math.max(1, Math.round(rect.width * ratio));
    canvas.height = Math.max(1, Math.round(rect.height * ratio));
    draw();
  }

  function zoom(factor, sx, sy) {
    const { w, h } = size();
    const next = Math.min(200, Math.max(0.5, view.scale * factor));
    const f = next / view.scale;
    // keep the point under the cursor where it is
    view.tx = (sx - w / 2) - (sx - w / 2 - view.tx) * f;
    view.ty = (sy - h / 2) - (sy - h / 2 - view.ty) * f;
    view.scale = next;
    draw();
  }

  function nearest(sx, sy) {
    let best = null, bestD = 64;   // within 8 px
    const consider = (word, x, y) => {
      const [px, py] = toScreen(x, y);
      const d = (px - sx) ** 2 + (py - sy) ** 2;
      if (d < bestD) { bestD = d; best = { word, px, py }; }
    };
    map.marks.forEach((m) => consider(m.word, m.x, m.y));
    map.words.forEach((word, i) => consider(word, map.x[i], map.y[i]));
    return best;
  }

  const drag = { on: false, x: 0, y: 0, moved: 0 };
  const local = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  canvas.addEventListener("wheel", (e) => { e.preventDefault(); const [sx, sy] = local(e); zoom(Math.exp(-e.deltaY * 0.0015), sx, sy); },
    { passive: false });
  canvas.addEventListener("pointerdown", (e) => {
    Object.assign(drag, { on: true, x: e.clientX, y: e.clientY, moved: 0 });
    canvas.setPointerCapture(e.pointerId);
    canvas.classList.add("dragging");
  });
  canvas.addEventListener("pointermove", (e) => {
    const tip = $("tooltip");
    if (drag.on) {
      view.tx += e.clientX - drag.x; view.ty += e.clientY - drag.y;
      drag.moved += Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y);
      drag.x = e.clientX; drag.y = e.clientY;
      tip.hidden = true;
      draw();
      return;
    }
    const [sx, sy] = local(e);
    const hit = nearest(sx, sy);
    tip.hidden = !hit;
    if (hit) { tip.textContent = hit.word; tip.style.left = `${hit.px + 10}px`; tip.style.top = `${hit.py - 28}px`; }
  });
  canvas.addEventListener("pointerup", (e) => {
    canvas.classList.remove("dragging");
    const wasClick = drag.moved < 4;
    drag.on = false;
    if (!wasClick) return;
    const [sx, sy] = local(e);
    const hit = nearest(sx, sy);
    if (hit) { $("word").value = hit.word; search(); }
  });
  canvas.addEventListener("pointerleave", () => { $("tooltip").hidden = true; });

  // -- wiring -------------------------------------------------------------------------------
  const onSubmit = (id, fn) => $(id).addEventListener("submit", (e) => { e.preventDefault(); fn(); });
  onSubmit("search-form", search);
  onSubmit("analogy-form", solve);
  onSubmit("compare-form", compare);
  document.querySelectorAll("[data-lang]").forEach((el) => el.addEventListener("click", () => {
    lang = el.dataset.lang; store("lang", lang); applyLang();
  }));
  $("zoom-in").addEventListener("click", () => { const { w, h } = size(); zoom(1.5, w / 2, h / 2); });
  $("zoom-out").addEventListener("click", () => { const { w, h } = size(); zoom(1 / 1.5, w / 2, h / 2); });
  $("map-reset").addEventListener("click", () => { Object.assign(view, { scale: 1, tx: 0, ty: 0 }); draw(); });
  new ResizeObserver(resize).observe($("map-wrap"));

  (async () => {
    applyLang();
    const { status, body } = await api("/api/info");
    if (status === 200) {
      info = body;
      const example = body.examples.find((w) => w.length >= 5) || body.examples[0] || "";
      $("word").placeholder = t("example", example);
      $("expr").placeholder = lang === "ru" ? "король - мужчина + женщина" : "king - man + woman";
      applyLang();
    }
    loadMap();
  })();
})();
