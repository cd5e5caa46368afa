"""Benchmark: our BPE against HuggingFace ``tokenizers`` and sentencepiece (BPE mode).

For each library, in one run on the same input: training time (each trainer runs in its own
child process so that its peak memory can be read), whether our ``merges.txt`` equals
``tokenizers``' line for line (whitespace pre-tokenizer, no special tokens, min_frequency 0),
encoding throughput over the corpus' lines with each batch API, and characters per token.

    python benchmarks/bench_bpe.py ../shared/data/en_corpus/*.txt --vocab-size 32000

Peak memory is the largest resident set of the training process (``ru_maxrss``) and, for
ours, of its counting workers.  Throughput is MB of UTF-8 text per second of wall time.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textprep.parallel import available_cpus


def _peak_mb() -> tuple[float, float]:
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return self_kb / 1024, child_kb / 1024


def train_ours(files, vocab_size, out, workers, q):
    from textprep.bpe import BPETokenizer

    t = time.perf_counter()
    tok = BPETokenizer.train(files, vocab_size=vocab_size, special_tokens=(), min_frequency=0, workers=workers)
    secs = time.perf_counter() - t
    tok.save(out)
    q.put((secs, *_peak_mb()))


def train_hf(files, vocab_size, out, q):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=0, show_progress=False, special_tokens=[])
    t = time.perf_counter()
    tok.train([str(f) for f in files], trainer)
    secs = time.perf_counter() - t
    os.makedirs(out, exist_ok=True)
    tok.model.save(str(out))
    tok.save(str(Path(out) / "tokenizer.json"))
    q.put((secs, *_peak_mb()))


def train_spm(files, vocab_size, out, threads, q):
    import sentencepiece as spm

    t = time.perf_counter()
    spm.SentencePieceTrainer.train(
        input=",".join(str(f) for f in files), model_prefix=str(Path(out) / "spm"), model_type="bpe",
        vocab_size=vocab_size, num_threads=threads, character_coverage=1.0, max_sentence_length=1 << 16,
        minloglevel=2,
    )
    q.put((time.perf_counter() - t, *_peak_mb()))


def run_child(target, *args):
    q = mp.get_context("fork").Queue()
    p = mp.get_context("fork").Process(target=target, args=(*args, q))
    p.start()
    result = q.get()
    p.join()
    if p.exitcode:
        raise SystemExit(f"{target.__name__} failed with exit code {p.exitcode}")
    return result


def merges_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#version")]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="+", help="UTF-8 text files")
    ap.add_argument("--vocab-size", type=int, default=32000)
    ap.add_argument("--workers", type=int, default=available_cpus(), help="processes for ours and tokenizers")
    ap.add_argument("--skip-spm", action="store_true", help="leave sentencepiece out (its training is slow)")
    args = ap.parse_args(argv)
    files = [Path(f) for f in args.corpus]
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"corpus: {len(files)} file(s), {size_mb:.1f} MB; vocab size {args.vocab_size}; "
          f"{os.cpu_count()} cores; python {platform.python_version()}")
    tmp = Path(tempfile.mkdtemp(prefix="bench_bpe_"))
    results = {}
    results["ours"] = run_child(train_ours, files, args.vocab_size, tmp / "ours", args.workers)
    results["tokenizers"] = run_child(train_hf, files, args.vocab_size, tmp / "hf")
    if not args.skip_spm:
        (tmp / "spm").mkdir()
        results["sentencepiece"] = run_child(train_spm, files, args.vocab_size, tmp / "spm", args.workers)
    ours_m, hf_m = merges_lines(tmp / "ours" / "merges.txt"), merges_lines(tmp / "hf" / "merges.txt")
    first_diff = next((i for i, (a, b) in enumerate(zip(ours_m, hf_m)) if a != b), None)
    same = first_diff is None and len(ours_m) == len(hf_m)
    print(f"merges.txt identical to tokenizers': {same} ({len(ours_m)} vs {len(hf_m)} merges"
          + (f", first difference at merge {first_diff + 1})" if first_diff is not None else ")"))

    lines = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            lines.extend(line.rstrip("\n") for line in fh)
    text_mb = sum(len(line.encode("utf-8")) for line in lines) / 1e6
    chars = sum(len(line) for line in lines)

    from textprep.bpe import BPETokenizer

    enc = {}
    ours = BPETokenizer.load(tmp / "ours")
    t = time.perf_counter()
    ids = ours.encode_batch(lines, workers=args.workers)
    enc["ours"] = (time.perf_counter() - t, sum(map(len, ids)))
    del ids

    from tokenizers import Tokenizer

    hf = Tokenizer.from_file(str(tmp / "hf" / "tokenizer.json"))
    t = time.perf_counter()
    encs = hf.encode_batch(lines)
    enc["tokenizers"] = (time.perf_counter() - t, sum(len(e.ids) for e in encs))
    del encs
    if not args.skip_spm:
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=str(tmp / "spm" / "spm.model"))
        t = time.perf_counter()
        sids = sp.encode(lines, num_threads=args.workers)
        enc["sentencepiece"] = (time.perf_counter() - t, sum(map(len, sids)))
        del sids

    hf_train, hf_enc = results["tokenizers"][0], enc["tokenizers"][0]
    print(f"\n{'library':<14} {'train s':>8} {'x tokenizers':>12} {'peak MB (main/workers)':>23} "
          f"{'encode MB/s':>11} {'x tokenizers':>12} {'chars/token':>11}")
    for name in results:
        secs, peak_self, peak_children = results[name]
        esecs, ntok = enc[name]
        mbps = text_mb / esecs
        print(f"{name:<14} {secs:8.1f} {secs / hf_train:12.2f} {peak_self:11.0f} / {peak_children:<9.0f} "
              f"{mbps:11.2f} {mbps / (text_mb / hf_enc):12.2f} {chars / ntok:11.2f}")
    print(f"\n(encoding: {len(lines)} lines, {text_mb:.1f} MB; ours with {args.workers} worker processes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
