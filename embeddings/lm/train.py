"""Training the language model: the epoch loop, one optimiser step, the Kneser-Ney count.

SGD with the classic recipe of PyTorch's word_language_model (lr 20, gradient norm clipped at
0.25, learning rate divided by 4 whenever validation perplexity does not improve) is the default;
Adam and a cosine schedule are options.  Each epoch ends with a validation pass, the weights of
the best epoch so far, ``history.json``, a checkpoint (model + optimizer, for ``resume``) and
``loss.png``.  Under ``torchrun`` the same function runs DistributedDataParallel: each process
trains on its own slice of the batch columns (or lines), gradients are averaged, and process 0
writes the files.
"""
from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from embeddings.device import resolve_device
from embeddings.keyedvectors import KeyedVectors
from textprep.errors import InputError
from textprep.progress import progress_bar
from textprep.runlock import DirectoryLock

from .. import interrupt
from ..threads import fit_torch_threads
from .config import LMConfig
from .curves import plot_losses
from .data import batchify, bptt_windows, encode_lines, line_batches, read_lines, stream_ids
from .evaluate import evaluate_ids, loss_sum, text_chars
from .lmdir import WEIGHTS, load_checkpoint, read_config, save_checkpoint, save_weights, write_config, write_history
from .model import RNNLM, detach_state
from .ngram import KneserNey, sequences_for
from .tokenizers import build_tokenizer, load_tokenizer

log = logging.getLogger(__name__)


def train_lm(corpus, config: LMConfig, out_dir, valid=None, bpe_model=None, init_vectors=None,
             resume: bool = False, device: str = "auto", progress: bool = True) -> list[dict]:
    """Train on the text file ``corpus`` (one line per document) and write the LM directory ``out_dir``.

    Returns the history: one dict per epoch (losses in nats per token, perplexities, lr, tokens/s).
    The directory is locked for the run (a second run on it fails at once, naming this process),
    and Ctrl-C stops at the next step, raising :class:`~embeddings.interrupt.Interrupted` with the
    last checkpoint whole.
    """
    out_dir = Path(out_dir)
    dev = resolve_device(device)
    rank, world = _dist_setup(dev)
    with contextlib.ExitStack() as stack:
        if rank == 0:
            stack.enter_context(DirectoryLock(out_dir, "LM directory"))
        stack.enter_context(fit_torch_threads())
        return _train(corpus, config, out_dir, valid, bpe_model, init_vectors, resume, dev, rank, world, progress,
                      stack)


def _train(corpus, config: LMConfig, out_dir: Path, valid, bpe_model, init_vectors, resume: bool,
           dev: torch.device, rank: int, world: int, progress: bool, guards: contextlib.ExitStack) -> list[dict]:
    main = rank == 0
    lines = read_lines(corpus)
    if not any(line.strip() for line in lines):
        raise InputError(f"{corpus}: the corpus is empty (no non-blank lines)")
    train_lines, valid_lines = _split_data(config, lines, valid)
    if resume and (out_dir / "config.json").exists():
        meta = read_config(out_dir)
        if meta["config"] != config.to_dict():
            changed = sorted(k for k, v in config.to_dict().items() if meta["config"].get(k) != v)
            log.warning("resuming with changed settings: %s", ", ".join(changed))
        tokenizer = load_tokenizer(out_dir, meta["tokenizer"])
    else:
        tokenizer = build_tokenizer(config, train_lines, bpe_model)
    out_dir.mkdir(parents=True, exist_ok=True)
    extra = {"train_file": str(corpus), "valid_file": str(valid) if valid else None}
    encoded = encode_lines(tokenizer, train_lines)
    valid_enc = encode_lines(tokenizer, valid_lines) if valid_lines else None
    if valid_lines is not None and not valid_enc:
        raise InputError(f"{valid or corpus}: the validation text is empty")

    if config.arch == "ngram":
        return _train_ngram(config, tokenizer, encoded, valid_enc, valid_lines, out_dir, extra, main)

    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    model = RNNLM.from_config(config, len(tokenizer))
    if init_vectors is not None:
        extra["init_vectors"] = _init_vectors(model, init_vectors, tokenizer, config)
    elif config.freeze_vectors:
        raise InputError("freeze_vectors needs --init-vectors (nothing to freeze)")
    model.to(dev)
    params = [p for p in model.parameters() if p.requires_grad]
    lr = config.learning_rate
    opt = (torch.optim.SGD(params, lr=lr) if config.optimizer == "sgd" else torch.optim.Adam(params, lr=lr))
    history: list[dict] = []
    steps_log: list[tuple[float, float]] = []
    best, bad, start_epoch = math.inf, 0, 1
    ck = load_checkpoint(out_dir, dev) if resume else None
    if ck is not None:
        try:
            model.load_state_dict(ck["model"])
            opt.load_state_dict(ck["optimizer"])
        except (RuntimeError, ValueError, KeyError, TypeError) as exc:   # a checkpoint of another model
            why = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise InputError(f"{out_dir / 'checkpoint.pt'}: does not fit this model ({why})") from None
        history, best, bad = ck["history"], float(ck["best"]), int(ck["bad"])
        lr = float(ck["lr"])  # a plateau decay made before the interruption stays
        start_epoch = int(ck["epoch"]) + 1
        log.info("resuming after epoch %d (best validation perplexity %.2f)", start_epoch - 1, math.exp(min(best, 700)))
        if config.patience and bad >= config.patience:
            start_epoch = config.epochs + 1  # the checkpointed epoch had already stopped training early
    if main:
        write_config(out_dir, config, tokenizer.save(out_dir), extra)
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None)
    scaler = torch.amp.GradScaler("cuda", enabled=config.amp and dev.type == "cuda")
    ignore = tokenizer.pad_id if config.mode == "lines" else -100
    t_start = time.perf_counter()
    stop_time = t_start + 60 * config.max_minutes if config.max_minutes else None
    out_of_time = False
    last_plot = t_start
    if world == 1:  # from here Ctrl-C waits for a step's end (several processes: plain Ctrl-C)
        guards.enter_context(interrupt.safe_points())

    for epoch in range(start_epoch, config.epochs + 1):
        if config.schedule == "cosine":
            lr = 0.5 * config.learning_rate * (1 + math.cos(math.pi * (epoch - 1) / config.epochs))
        for g in opt.param_groups:
            g["lr"] = lr
        # Dropout draws its masks from a seed of its own each epoch, so a run resumed from a
        # checkpoint trains exactly as one that was never interrupted.
        torch.manual_seed(config.seed * 100_003 + epoch)
        model.train()
        batches = _train_batches(config, encoded, tokenizer, rank, world, epoch)
        if config.max_steps:
            batches = batches[: config.max_steps]
        bar = progress_bar(batches, desc=f"epoch {epoch}", unit="batch", enabled=progress and main, leave=False)
        state, tot_loss, tot_tok, t0 = None, 0.0, 0, time.perf_counter()
        for step, (x, y) in enumerate(bar):
            interrupt.stop_if_interrupted(_stopped(f"in epoch {epoch} of {config.epochs}", out_dir, epoch - 1))
            loss, n, state = train_step(net, opt, scaler, x.to(dev), y.to(dev), state, config, ignore)
            tot_loss += float(loss) * n
            tot_tok += n
            if step % 50 == 0 or step == len(batches) - 1:
                avg = tot_loss / max(tot_tok, 1)
                tps = tot_tok * world / max(time.perf_counter() - t0, 1e-9)
                bar.set_postfix(ppl=f"{math.exp(min(avg, 700)):.1f}", tok_s=f"{tps:.0f}")
                steps_log.append((epoch - 1 + (step + 1) / len(batches), float(loss)))
            if stop_time is not None and time.perf_counter() > stop_time:
                out_of_time = True
                break
        bar.close()
        seconds = time.perf_counter() - t0
        train_loss = tot_loss / max(tot_tok, 1)
        rec = {"epoch": epoch, "lr": lr, "train_loss": train_loss, "train_ppl": math.exp(min(train_loss, 700)),
               "tokens_per_s": tot_tok * world / max(seconds, 1e-9), "seconds": seconds,
               "elapsed": time.perf_counter() - t_start}
        if valid_enc is not None:
            nll, nv = evaluate_ids(model, valid_enc, config, tokenizer, dev)
            rec.update(valid_loss=nll / nv, valid_ppl=math.exp(min(nll / nv, 700)),
                       valid_bpc=nll / text_chars(valid_lines) / math.log(2))
        history.append(rec)
        score = rec.get("valid_loss", train_loss)
        improved = score < best
        if main:
            log.info("epoch %d: train ppl %.2f%s, lr %g, %.0f tokens/s", epoch, rec["train_ppl"],
                     f", valid ppl {rec['valid_ppl']:.2f}" if "valid_ppl" in rec else "", lr, rec["tokens_per_s"])
            if improved:
                save_weights(model, out_dir / WEIGHTS)
        if improved:
            best, bad = score, 0
        else:
            bad += 1
            if config.schedule == "plateau":
                lr /= config.lr_decay
        if main:  # the history first, the checkpoint last: see embeddings.lm.lmdir
            write_history(out_dir, history)
            save_checkpoint(out_dir, model, opt, epoch=epoch, best=best, bad=bad, lr=lr)
        stop = (config.patience and bad >= config.patience) or out_of_time or epoch == config.epochs
        if main and (stop or time.perf_counter() - last_plot > 60):  # plotting costs; not after every short epoch
            plot_losses(history, steps_log, out_dir / "loss.png")
            last_plot = time.perf_counter()
        interrupt.stop_if_interrupted(_stopped(f"after epoch {epoch} of {config.epochs}", out_dir, epoch))
        if config.patience and bad >= config.patience:
            log.info("early stop: no validation gain for %d epochs", bad)
            break
        if out_of_time:
            log.info("time budget of %s minutes reached", config.max_minutes)
            break
    else:
        if main and start_epoch > config.epochs and history:
            # resumed after the last checkpoint: a run killed before it drew its curves left none
            plot_losses(history, steps_log, out_dir / "loss.png")
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return history


def _stopped(when: str, out_dir: Path, epochs_saved: int) -> str:
    """What an interrupted run leaves behind, in one line."""
    if epochs_saved == 0:
        return f"interrupted {when}, before the first checkpoint in {out_dir}"
    return f"interrupted {when}; the checkpoint after epoch {epochs_saved} in {out_dir} is whole"


def train_step(net: torch.nn.Module, opt: torch.optim.Optimizer, scaler: torch.amp.GradScaler,
               x: torch.Tensor, y: torch.Tensor, state, config: LMConfig, ignore: int):
    """One optimiser step on the batch ``x`` -> ``y`` (ids, both ``(time, batch)``).

    ``state`` is the hidden state the previous window left (stream mode carries it, detached;
    lines mode starts every batch from zero).  The forward pass runs under float16 autocast when
    the scaler is enabled; gradients are clipped as ``config`` says.  Returns the mean loss per
    target (a detached 0-d tensor), the number of targets, and the state for the next window.
    """
    state = detach_state(state) if config.mode == "stream" else None  # carry the values, cut the graph
    with torch.autocast(x.device.type, dtype=torch.float16, enabled=scaler.is_enabled()):
        logits, state = net(x, state)
    n = int((y != ignore).sum()) if config.mode == "lines" else y.numel()
    loss = loss_sum(logits, y, ignore) / max(n, 1)
    opt.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    if config.clip > 0:
        scaler.unscale_(opt)
        params = [p for group in opt.param_groups for p in group["params"]]
        if config.clip_mode == "norm":
            torch.nn.utils.clip_grad_norm_(params, config.clip)
        else:
            torch.nn.utils.clip_grad_value_(params, config.clip)
    scaler.step(opt)
    scaler.update()
    return loss.detach(), n, state


def _dist_setup(device: torch.device) -> tuple[int, int]:
    """This process's rank and the number of processes (``1`` outside ``torchrun``)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return 0, 1
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size()


def _split_data(config: LMConfig, train_lines: list[str], valid_path) -> tuple[list[str], list[str] | None]:
    if valid_path is not None:
        return train_lines, read_lines(valid_path)
    if config.valid_fraction > 0:
        cut = int(round(len(train_lines) * (1 - config.valid_fraction)))
        return train_lines[:cut], train_lines[cut:]
    return train_lines, None


def _train_batches(config: LMConfig, encoded, tokenizer, rank: int, world: int, epoch: int) -> list:
    """This process's ``(input, target)`` training batches for one epoch."""
    if config.mode == "stream":
        stream = stream_ids(encoded, tokenizer.eos_id)
        part = len(stream) // world  # equal parts, so every process takes the same number of steps
        data = batchify(stream[rank * part:(rank + 1) * part], config.batch_size)
        return list(bptt_windows(data, config.bptt))
    usable = len(encoded) - len(encoded) % world
    if usable == 0:
        raise InputError(f"{len(encoded)} lines cannot be shared by {world} processes")
    mine = encoded[:usable][rank::world]
    return line_batches(mine, config.batch_size, tokenizer.bos_id, tokenizer.eos_id, tokenizer.pad_id,
                        shuffle=True, seed=config.seed + epoch)


def _init_vectors(model: RNNLM, path, tokenizer, config: LMConfig) -> dict:
    """Start the embedding table from a word2vec file, rows aligned to the vocabulary; a note for config.json."""
    kv = KeyedVectors.load_word2vec_format(path)
    if kv.vector_size != config.emb_dim:
        raise InputError(f"{path}: vectors have dimension {kv.vector_size} but emb_dim is {config.emb_dim} "
                         f"(pass --emb-dim {kv.vector_size})")
    matrix, missing = kv.embedding_matrix(tokenizer.tokens, seed=config.seed)
    log.info("init vectors: %d of %d vocabulary tokens found in %s, %d get random rows",
             len(tokenizer) - len(missing), len(tokenizer), path, len(missing))
    model.init_vectors(matrix, freeze=config.freeze_vectors)
    return {"file": str(path), "missing": len(missing), "vocab": len(tokenizer)}


def _train_ngram(config: LMConfig, tokenizer, encoded, valid_enc, valid_lines, out_dir: Path, extra: dict,
                 main: bool) -> list[dict]:
    """The Kneser-Ney baseline: one counting pass, one history record."""
    t0 = time.perf_counter()
    km = KneserNey(config.order, len(tokenizer), tokenizer.bos_id).fit(sequences_for(encoded, config.mode, tokenizer))
    # without a validation text the model is scored on what it counted
    nll, n = km.score(sequences_for(encoded, config.mode, tokenizer)) if valid_enc is None else (None, None)
    rec = {"epoch": 1, "seconds": time.perf_counter() - t0}
    if valid_enc is not None:
        vnll, vn = km.score(sequences_for(valid_enc, config.mode, tokenizer))
        rec.update(valid_loss=vnll / vn, valid_ppl=math.exp(vnll / vn),
                   valid_bpc=vnll / text_chars(valid_lines) / math.log(2))
        log.info("Kneser-Ney order %d: validation perplexity %.2f", config.order, rec["valid_ppl"])
    else:
        rec.update(train_loss=nll / n, train_ppl=math.exp(nll / n))
    if main:
        write_config(out_dir, config, tokenizer.save(out_dir), extra)
        km.save(out_dir / "ngram.json")
        write_history(out_dir, [rec])
    return [rec]
