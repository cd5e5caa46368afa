"""Sampling text from a trained language model.

The prefix is fed through the network, then one token at a time is drawn from the softmax of
``logits / temperature``, optionally restricted to the ``top_k`` most likely tokens and to the
smallest set whose probability reaches ``top_p`` (nucleus sampling, Holtzman et al. 2020).
``temperature=0`` is greedy.  The defaults are :data:`embeddings.lm.sampling.SAMPLING`.

Lengths count what is printed (:mod:`embeddings.lm.sampling`): words, or characters for a
character model.  A sample ends at ``<eos>``, which cannot be drawn before ``min_length``, or
at ``max_length``; a BPE token that would start one word too many is dropped.  ``<unk>`` is
drawn only with ``allow_unk`` and then printed as ``<unk>``, so no word goes missing unseen.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch

from textprep.errors import InputError

from .sampling import SAMPLING, SamplingConfig, count_units

log = logging.getLogger(__name__)

#: a BPE word takes a few tokens; a sample stops after this many tokens per word at most
BPE_TOKENS_PER_WORD = 16


@dataclass
class Generation:
    texts: list[str]
    entropies: list[float]  # mean entropy (nats) of the distribution each token was drawn from
    ids: list[list[int]]    # the drawn tokens of each continuation (no prefix, no <eos>)


def filter_probs(logits: torch.Tensor, temperature: float, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """Rows of logits ``(batch, vocab)`` -> sampling probabilities after temperature, top-k and top-p."""
    if temperature == 0:
        probs = torch.zeros_like(logits)
        probs.scatter_(1, logits.argmax(1, keepdim=True), 1.0)
        return probs
    logits = logits / temperature
    if top_k and top_k < logits.size(1):
        kth = logits.topk(top_k, dim=1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, -math.inf)
    probs = torch.softmax(logits, dim=1)
    if top_p < 1.0:
        sorted_p, order = probs.sort(dim=1, descending=True)
        before = sorted_p.cumsum(1) - sorted_p  # mass of the more likely tokens
        sorted_p = sorted_p.masked_fill(before >= top_p, 0.0)  # always keeps the first
        probs = torch.zeros_like(probs).scatter_(1, order, sorted_p)
        probs = probs / probs.sum(1, keepdim=True)
    return probs


def _check(num: int) -> None:
    if num < 1:
        raise InputError(f"num must be >= 1, got {num!r}")


def visible_text(tok, ids) -> str:
    """The text of ``ids`` as generation prints it: ``<pad> <bos> <eos>`` left out, ``<unk>``
    written as ``<unk>`` (a BPE decoder writes special tokens as they are)."""
    hidden = {tok.pad_id, tok.bos_id, tok.eos_id}
    ids = [i for i in ids if i not in hidden]
    if tok.level == "bpe":
        return tok.bpe.decode(ids)
    names = tok.vocab.id_to_token
    return ("" if tok.level == "char" else " ").join(names[i] for i in ids)


@torch.no_grad()
def generate(lm, prefix: str = "", temperature: float = SAMPLING.temperature, top_k: int = SAMPLING.top_k,
             top_p: float = SAMPLING.top_p, max_length: int | None = None, num: int = 1, seed: int = 0,
             device: str = "cpu", min_length: int | None = None,
             allow_unk: bool = SAMPLING.allow_unk) -> Generation:
    """``num`` continuations of ``prefix`` from a loaded LM (:func:`embeddings.lm.load_lm`).

    ``min_length`` and ``max_length`` count the words printed after the prefix (characters for
    a character model); ``None`` takes the defaults of :class:`~embeddings.lm.sampling.SamplingConfig`.
    ``<eos>`` cannot be drawn before ``min_length`` (as ``min_length`` in other generation APIs):
    the distribution is taken over the other tokens.
    """
    level = lm.tokenizer.level
    cfg = SamplingConfig(temperature=temperature, top_k=top_k, top_p=top_p, min_length=min_length,
                         max_length=max_length, allow_unk=allow_unk).for_level(level)
    _check(num)
    tok = lm.tokenizer
    prefix_ids = tok.encode_strict(prefix) if prefix else []
    # a stream model saw <eos> before every line; a line model saw <bos>
    start = [tok.bos_id if lm.config.mode == "lines" else tok.eos_id] + prefix_ids
    shown = count_units(visible_text(tok, prefix_ids), level)
    gen = torch.Generator().manual_seed(seed)
    banned = [tok.pad_id, tok.bos_id] + ([] if cfg.allow_unk else [tok.unk_id])
    out: list[list[int]] = [[] for _ in range(num)]
    ent: list[list[float]] = [[] for _ in range(num)]
    units = [0] * num
    done = torch.zeros(num, dtype=torch.bool)
    # A word or character token adds at least one unit to what is printed, so max_length + 1
    # draws always reach the end; a BPE word spans several tokens.
    steps = (cfg.max_length + 1) * (BPE_TOKENS_PER_WORD if level == "bpe" else 1)
    step_logits = _logit_source(lm, start, num, device)
    for _ in range(steps):
        logits = step_logits(None).float().cpu()
        logits[:, banned] = -math.inf
        short = torch.tensor([u < cfg.min_length for u in units])
        logits[short, tok.eos_id] = -math.inf
        probs = filter_probs(logits, cfg.temperature, cfg.top_k, cfg.top_p)
        nxt = torch.multinomial(probs, 1, generator=gen).squeeze(1)
        h = -(probs * torch.log(probs.clamp_min(1e-30))).sum(1)
        for j in range(num):
            if done[j]:
                continue
            t = int(nxt[j])
            if t == tok.eos_id:
                done[j] = True
                continue
            n = count_units(visible_text(tok, prefix_ids + out[j] + [t]), level) - shown
            if n > cfg.max_length:      # this token starts a word past the limit
                done[j] = True
                continue
            out[j].append(t)
            ent[j].append(float(h[j]))
            units[j] = n
            if n == cfg.max_length and level != "bpe":   # the next token could only add more
                done[j] = True
        if bool(done.all()):
            break
        step_logits(nxt)
    for j in range(num):
        if units[j] < cfg.min_length:
            log.warning("sample %d stopped at %d of the %d %s asked for after %d tokens", j + 1, units[j],
                        cfg.min_length, "characters" if level == "char" else "words", len(out[j]))
    texts = [visible_text(tok, prefix_ids + o) for o in out]
    return Generation(texts, [float(np.mean(e)) if e else 0.0 for e in ent], out)


def _logit_source(lm, start: list[int], num: int, device: str):
    """A function: called with ``None`` it gives the next-token logits ``(num, vocab)``;
    called with the tokens just drawn ``(num,)`` it feeds them."""
    if lm.model is not None:
        model = lm.model.to(device).eval()
        x = torch.tensor(start, dtype=torch.long, device=device).unsqueeze(1).expand(-1, num)
        logits, state = model(x)
        cur = {"logits": logits[-1], "state": state}

        def step(nxt):
            if nxt is None:
                return cur["logits"]
            lg, cur["state"] = model(nxt.to(device).unsqueeze(0), cur["state"])
            cur["logits"] = lg[-1]
            return None
        return step

    km, V = lm.ngram, len(lm.tokenizer)
    hist = [list(start) for _ in range(num)]

    def step_ngram(nxt):
        if nxt is None:
            return torch.tensor([[math.log(km.prob(w, h)) for w in range(V)] for h in hist])
        for j in range(num):
            hist[j].append(int(nxt[j]))
        return None
    return step_ngram
