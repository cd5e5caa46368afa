"""The main job's preprocess stage on a Dask cluster: the same files as :func:`.stages.preprocess`.

Two passes, each over partitions cut where its units start (:mod:`textprep.cluster.units`)::

    pass 1  partitions cut at paragraph starts ─▶ word-form sentences, their counts, chapter headings
            client: scratch/sentences.txt in order ─▶ train.txt + valid.txt (the last valid_fraction)
    pass 2  partitions cut at chapter headings (or paragraph starts, or anywhere for lines)
            ─▶ TF-IDF documents (lemmas, no stop words) and their titles ─▶ documents.txt, titles.json

The client writes the files as the partitions' results arrive in order; it holds a few
partitions' text and the titles (one per document), never the corpus.
"""
from __future__ import annotations

import logging
from pathlib import Path

from textprep.cluster.partitions import plan_partitions
from textprep.cluster.session import ClusterSpec, open_session
from textprep.cluster.units import documents_part, safe_cut, sentences_part
from textprep.fileio import atomic_write, write_json
from textprep.pipeline import PipelineConfig

from .config import RunConfig
from .holdout import split_holdout

log = logging.getLogger(__name__)


def preprocess_on_cluster(corpus: Path, config: RunConfig, out: Path, scratch: Path, spec: ClusterSpec) -> dict:
    """``out/`` gets documents.txt (+ titles.json), train.txt and valid.txt, as without the cluster."""
    size = spec.partition_bytes
    sentence_parts = plan_partitions([str(corpus)], config.encoding, size, safe_cut(config.unit))
    out.mkdir()
    with open_session(spec) as session:
        all_path = scratch / "sentences.txt"
        n_sent = n_tok = headings = 0
        with atomic_write(all_path) as fh:
            for text, n, toks, heads in session.ordered(sentences_part, sentence_parts, config.lang, config.unit,
                                                        desc="preprocess: sentences"):
                fh.write(text)
                n_sent, n_tok, headings = n_sent + n, n_tok + toks, headings + heads
        n_valid = split_holdout(all_path, n_sent, corpus, config, out)

        unit = config.tfidf_unit
        if unit == "chapters" and headings < 2:
            log.info("no chapter headings found; TF-IDF documents are paragraphs")
            unit = "paragraphs"
        bow = PipelineConfig(lang=config.lang, stopwords=config.lang, lemmatize=config.lemmatize)
        doc_parts = plan_partitions([str(corpus)], config.encoding, size, safe_cut(unit))
        titles: list[str] = []
        n_docs = n_terms = lines_before = 0
        with atomic_write(out / "documents.txt") as fh:
            for text, local, terms, n_lines in session.ordered(documents_part, doc_parts, bow, unit,
                                                               desc="preprocess: documents"):
                fh.write(text)
                if unit == "chapters":
                    titles.extend(local)
                elif unit == "paragraphs":
                    titles.extend(f"paragraph {n_docs + i}" for i in local)
                else:
                    titles.extend(f"line {lines_before + i}" for i in local)
                n_docs, n_terms, lines_before = n_docs + len(local), n_terms + terms, lines_before + n_lines
    write_json(out / "titles.json", titles)
    return {"sentences": n_sent, "train_sentences": n_sent - n_valid, "valid_sentences": n_valid,
            "tokens": n_tok, "documents": n_docs, "document_unit": unit, "document_terms": n_terms}
