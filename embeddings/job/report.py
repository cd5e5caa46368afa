"""``report.md`` of a main-job run: the figures, tables and pictures of every stage.

The report is made from the artefacts in the run directory and the figures each stage
recorded in ``state.json``, so it can be rebuilt at any time without training anything.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from textprep.fileio import atomic_write, read_json

from .config import RunConfig

STAGE_ARTEFACTS = {
    "preprocess": "text/", "tfidf": "tfidf/", "bpe": "bpe/", "word2vec": "vectors.txt", "queries": "queries/",
    "lm": "lm/", "lm_random": "lm_random/", "ngram": "ngram/", "generate": "generated.txt",
}


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out + [""]


def summary_lines(stages: dict[str, dict]) -> list[str]:
    """The few lines a person reads first: vocabulary, neighbours, analogy, perplexities."""
    lines = []
    pre, w2v, lm, ng = (stages.get(k, {}) for k in ("preprocess", "word2vec", "lm", "ngram"))
    if pre:
        lines.append(f"corpus: {pre['sentences']:,} sentences, {pre['tokens']:,} words "
                     f"({pre['valid_sentences']:,} sentences held out); {pre['documents']} TF-IDF documents")
    if "bpe" in stages:
        b = stages["bpe"]
        lines.append(f"BPE: {b['vocab_size']:,} tokens, {b['chars_per_token']:.2f} characters per token")
    if w2v:
        lines.append(f"word2vec: {w2v['vocab_size']:,} words trained on {w2v['tokens']:,} tokens")
    q = stages.get("queries", {})
    if q.get("answer"):
        lines.append(f"analogy: {q['analogy']} = {q['answer']}")
    if lm and ng:
        lines.append(f"validation perplexity: LSTM {lm['valid_ppl']:.1f} vs Kneser-Ney {ng['valid_ppl']:.1f}"
                     + (f" (LSTM from random embeddings {stages['lm_random']['valid_ppl']:.1f})"
                        if "lm_random" in stages else ""))
    return lines


def write_report(run_dir: Path, corpus: Path, config: RunConfig, stages: dict[str, dict], out: Path) -> dict:
    """Write the Markdown report of ``run_dir`` to ``out``; returns figures for the run state."""
    run_dir = Path(run_dir)
    c = config
    md: list[str] = [f"# {corpus.name}: from raw text to vectors and a language model", ""]
    md += [f"Corpus `{corpus}`, settings in `config.json` (language `{c.lang}`). "
           "Every artefact named below lies in this directory.", ""]

    pre = stages["preprocess"]
    md += ["## 1. Preprocessing", ""]
    md += [f"- {pre['sentences']:,} {c.unit} with {pre['tokens']:,} words (lower-cased word forms): "
           f"{pre['train_sentences']:,} to train on (`text/train.txt`), the last {pre['valid_sentences']:,} "
           f"held out (`text/valid.txt`).",
           f"- {pre['documents']:,} documents ({pre['document_unit']}) for TF-IDF with {pre['document_terms']:,} "
           f"{'lemmas' if c.lemmatize else 'words'} after stop-word removal (`text/documents.txt`).", ""]

    tops = read_json(run_dir / "tfidf" / "top_terms.json", "TF-IDF top terms")
    shown = [t for t in tops if t["top"]][: c.tfidf_docs]
    md += ["## 2. TF-IDF: top terms", "",
           f"{stages['tfidf']['documents']} documents x {stages['tfidf']['terms']:,} terms: "
           f"{'1 + ln(count)' if c.tfidf_sublinear else 'count'} x smoothed idf, rows scaled to unit length "
           f"(`tfidf/matrix.npz`). The first {len(shown)} documents:", ""]
    md += _table(["document", f"top {c.tfidf_top_k} terms"],
                 [[t["document"], ", ".join(w for w, _ in t["top"])] for t in shown])

    b = stages["bpe"]
    byte_level = b.get("pretokenizer") == "bytelevel"
    md += ["## 3. Byte pair encoding", "",
           f"{b['vocab_size']:,} {'byte-level ' if byte_level else ''}tokens learned on the raw corpus, "
           f"{b['chars_per_token']:.2f} characters per token{' (spaces included)' if byte_level else ''} "
           "(`bpe/vocab.json`, `bpe/merges.txt`: the files HuggingFace `tokenizers` reads). "
           "A held-out sentence, split into subwords"
           + (" (a dot marks a cut inside a word):" if byte_level else ":"), "",
           "> " + b.get("sample_split", " · ".join(b["sample_tokens"])), ""]

    w = stages["word2vec"]
    q = read_json(run_dir / "queries" / "queries.json", "queries")
    md += ["## 4. word2vec", "",
           f"{'Skip-gram' if c.w2v.sg else 'CBOW'} with negative sampling, {c.w2v.dim} dimensions, "
           f"window {c.w2v.window}, {c.w2v.epochs} epochs over {w['tokens']:,} words; {w['vocab_size']:,} words "
           f"seen at least {c.w2v.min_count} times (`vectors.txt`, word2vec text format).", ""]
    if q["neighbours"]:
        md += ["Nearest words (cosine similarity):", ""]
        md += _table(["word", "nearest words"],
                     [[word, ", ".join(f"{n} ({s:.2f})" for n, s in ns)] for word, ns in q["neighbours"].items()])
    if q.get("missing"):
        md += [f"Not in the vocabulary: {', '.join(q['missing'])}.", ""]
    a = q["analogy"]
    if "answers" in a:
        answers = ", ".join(f"**{x}** ({s:.2f})" if i == 0 else f"{x} ({s:.2f})"
                            for i, (x, s) in enumerate(a["answers"]))
        md += [f"Analogy `{a['expression']}` → {answers}", ""]
    else:
        md += [f"Analogy `{a['expression']}`: not answered, {', '.join(a['unknown'])} not in the vocabulary.", ""]
    if (run_dir / "queries" / "map.png").exists():
        md += ["![the query words and their neighbours](queries/map.png)", ""]

    lm, ng = stages["lm"], stages["ngram"]
    history = read_json(run_dir / "lm" / "history.json", "LM history")
    meta = read_json(run_dir / "lm" / "config.json", "LM config")
    init = meta.get("init_vectors", {})
    md += ["## 5. Language models", "",
           f"A {c.lm.layers}-layer LSTM with {c.lm.hidden} units whose embedding layer starts from the word2vec "
           f"vectors ({init.get('vocab', 0) - init.get('missing', 0):,} of {init.get('vocab', 0):,} vocabulary "
           f"words found there), beside a Kneser-Ney {c.ngram_order}-gram model on the same vocabulary "
           f"(words seen fewer than {c.lm.min_count} times are `<unk>`). Perplexity on the held-out sentences:", ""]
    rows = [[f"LSTM {c.lm.layers}x{c.lm.hidden}, embeddings from word2vec (best of {lm['epochs']} epochs: "
             f"{lm['best_epoch']})", f"{lm['valid_ppl']:.2f}", "`lm/`"]]
    if "lm_random" in stages:
        r = stages["lm_random"]
        rows.append([f"the same LSTM, random embeddings (best of {r['epochs']} epochs: {r['best_epoch']})",
                     f"{r['valid_ppl']:.2f}", "`lm_random/`"])
    rows.append([f"Kneser-Ney {c.ngram_order}-gram", f"{ng['valid_ppl']:.2f}", "`ngram/`"])
    md += _table(["model", "validation perplexity", "directory"], rows)
    md += _table(["epoch", "train perplexity", "validation perplexity", "learning rate", "seconds"],
                 [[h["epoch"], f"{h['train_ppl']:.1f}", f"{h['valid_ppl']:.1f}", f"{h['lr']:g}", f"{h['seconds']:.0f}"]
                  for h in history])
    if (run_dir / "lm" / "loss.png").exists():
        md += ["![LSTM training and validation loss](lm/loss.png)", ""]

    g = stages["generate"]
    md += ["## 6. Generated text", "",
           f"{len(g['texts'])} samples from the LSTM (temperature {c.temperature}, top-p {c.top_p}, "
           f"{c.generate_min_length} to {c.generate_length} words, `<unk>` never drawn)"
           + (f", each starting with «{g['prefix']}»:" if g["prefix"] else ":"), ""]
    md += [f"{i}. {t}" for i, t in enumerate(g["texts"], 1)] + [""]

    md += ["## Timings", ""]
    md += _table(["stage", "seconds", "artefact"],
                 [[name, f"{rec['seconds']:.1f}", f"`{STAGE_ARTEFACTS.get(name, rec['artefact'])}`"]
                  for name, rec in stages.items()])
    total = sum(rec["seconds"] for rec in stages.values())
    md += [f"Total {total:.0f} s ({math.ceil(total / 60)} min); a stage already done in an earlier run keeps its "
           "time from then.", ""]
    with atomic_write(out) as fh:
        fh.write("\n".join(md))
    return {}
