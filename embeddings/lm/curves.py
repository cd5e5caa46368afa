"""The loss curves of a language model's training, drawn into ``loss.png``."""
from __future__ import annotations

from pathlib import Path

from textprep.fileio import atomic_path


def plot_losses(history: list[dict], steps: list[tuple[float, float]], path: Path) -> None:
    """Per-interval training losses (``steps``: (epoch fraction, loss)) and the epochs' train and
    validation losses of ``history``, written atomically to ``path``."""
    import matplotlib  # only the process that writes files needs it, and it loads slowly

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    if steps:
        xs, ys = zip(*steps)
        ax.plot(xs, ys, lw=0.7, alpha=0.6, label="train (per log interval)")
    ep = [h["epoch"] for h in history]
    ax.plot(ep, [h["train_loss"] for h in history], "o-", label="train (epoch)")
    if any(h.get("valid_loss") is not None for h in history):
        ax.plot(ep, [h.get("valid_loss") for h in history], "s-", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy, nats per token")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
