"""Sampling text from a trained language model.

The prefix is fed through the network, then one token at a time is drawn from the softmax of
``logits / temperature``, optionally restricted to the ``top_k`` most likely tokens and to the
smallest set whose probability reaches ``top_p`` (nucleus sampling, Holtzman et al. 2020).
A sample ends at ``<eos>`` or after ``max_length`` new tokens.  ``temperature=0`` is greedy.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from textprep.errors import InputError


@dataclass
class Generation:
    texts: list[str]
    entropies: list[float]  # mean entropy (nats) of the distribution each token was drawn from
    ids: list[list[int]]


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


def _check(temperature, top_k, top_p, max_length, num, min_length=0):
    if not 0 <= min_length <= max_length:
        raise InputError(f"min_length must be between 0 and max_length ({max_length}), got {min_length!r}")
    if not temperature >= 0:
        raise InputError(f"temperature must be >= 0, got {temperature!r}")
    if top_k < 0:
        raise InputError(f"top_k must be >= 0, got {top_k!r}")
    if not 0 < top_p <= 1:
        raise InputError(f"top_p must be in (0, 1], got {top_p!r}")
    if max_length < 1:
        raise InputError(f"max_length must be >= 1, got {max_length!r}")
    if num < 1:
        raise InputError(f"num must be >= 1, got {num!r}")


@torch.no_grad()
def generate(lm, prefix: str = "", temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
             max_length: int = 100, num: int = 1, seed: int = 0, device: str = "cpu",
             min_length: int = 0, allow_unk: bool = True) -> Generation:
    """``num`` continuations of ``prefix`` from a loaded LM (:func:`embeddings.lm.load_lm`).

    ``<eos>`` cannot be drawn before ``min_length`` new tokens (as ``min_length`` in other
    generation APIs): the distribution is taken over the other tokens.  ``allow_unk=False``
    likewise never draws ``<unk>`` (which stands for many rare words and would print as nothing).
    """
    _check(temperature, top_k, top_p, max_length, num, min_length)
    tok = lm.tokenizer
    prefix_ids = tok.encode_strict(prefix) if prefix else []
    # a stream model saw <eos> before every line; a line model saw <bos>
    start = [tok.bos_id if lm.config.mode == "lines" else tok.eos_id] + prefix_ids
    gen = torch.Generator().manual_seed(seed)
    banned = [tok.pad_id, tok.bos_id] + ([] if allow_unk else [tok.unk_id])
    out = [[] for _ in range(num)]
    ent = [[] for _ in range(num)]
    done = torch.zeros(num, dtype=torch.bool)
    step_logits = _logit_source(lm, start, num, device)
    for step in range(max_length):
        logits = step_logits(None).float().cpu()
        logits[:, banned] = -math.inf
        if step < min_length:
            logits[:, tok.eos_id] = -math.inf
        probs = filter_probs(logits, temperature, top_k, top_p)
        nxt = torch.multinomial(probs, 1, generator=gen).squeeze(1)
        h = -(probs * torch.log(probs.clamp_min(1e-30))).sum(1)
        for j in range(num):
            if not done[j]:
                if int(nxt[j]) == tok.eos_id:
                    done[j] = True
                else:
                    out[j].append(int(nxt[j]))
                ent[j].append(float(h[j]))
        if bool(done.all()):
            break
        step_logits(nxt)
    texts = [tok.decode(prefix_ids + o) for o in out]
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
