"""Training and evaluating the sequence-to-sequence models of notebooks 01, 03 and 06.

The loop is plumbing that every seq2seq notebook shares; the models themselves (and the parts
of them that are exercises) live in the notebooks. The LSTM encoder-decoder of notebooks 01, 03
and 06 takes its layers from :class:`LSTMEncoderDecoder`, so that all three build the same layers
in the same order and start from the same weights after the same seed; how it encodes, reads
out and decodes (exercises in 01 and 03) stays in each notebook. A model is anything that maps a
teacher forced batch to logits::

    logits = model(src, src_lens, dec_in)   # (B, S), (B,), (B, T) -> (B, T, vocab_size)

and is evaluated through a decode function that writes ``out_len`` tokens greedily::

    tokens = decode(src, src_lens, out_len)  # (B, S), (B,), int -> (B, out_len) token ids

Small recurrent models train faster on one CPU thread than on several (the work per step is too
small to share), and results are bitwise reproducible at a fixed thread count, so ``train_seq2seq``
uses one thread on the CPU unless told otherwise.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from torch import nn

from course_lib.data import PAD, ReversalTask
from course_lib.device import autocast

if TYPE_CHECKING:
    import torch
    from matplotlib.axes import Axes

__all__ = [
    "DecodeFn",
    "LSTMEncoderDecoder",
    "TrainingLog",
    "accuracy_by_length",
    "plot_accuracy_vs_length",
    "threads",
    "train_seq2seq",
]

DecodeFn = Callable[["torch.Tensor", "torch.Tensor", int], "torch.Tensor"]


@dataclass
class TrainingLog:
    """What a training run did.

    Attributes:
        losses: the training loss (mean cross-entropy per target token) at every step.
        seconds: wall-clock training time.
        steps: number of optimisation steps.
        device: where it trained.
    """

    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    steps: int = 0
    device: str = "cpu"

    def smoothed(self, window: int = 50) -> np.ndarray:
        """The loss averaged over a sliding ``window`` of steps: (steps - window + 1,)."""
        losses = np.asarray(self.losses, dtype=np.float64)
        window = max(1, min(window, len(losses)))
        return np.convolve(losses, np.ones(window) / window, mode="valid")


class LSTMEncoderDecoder(nn.Module):
    """The layers of the LSTM encoder-decoder of notebooks 01, 03 and 06, and nothing else.

    Every notebook subclasses it and adds its own ``encode``, ``forward`` and decoding, which
    hold exercises (01: the encoder's context and greedy decoding; 03: the decoder step with
    attention) or their answers, and so never live here. The layers are built in this order,
    so that after the same seed every notebook's model starts from the same weights:

    - ``src_emb``, ``tgt_emb``: ``nn.Embedding(vocab_size, emb_dim, padding_idx=PAD)``;
    - ``encoder``, ``decoder``: one-layer ``nn.LSTM(emb_dim, hidden_size, batch_first=True)``;
    - ``combine``: ``nn.Linear(2 * hidden_size, hidden_size)``, only with ``attention``: it mixes
      the decoder's output with the attention context (Luong et al. 2015);
    - ``out``: ``nn.Linear(hidden_size, vocab_size)``, a score per token.

    Args:
        vocab_size: number of token ids, special tokens included.
        emb_dim: embedding size (default 32).
        hidden_size: LSTM units of the encoder and of the decoder (default 64).
        attention: whether to build ``combine`` (default False).
    """

    def __init__(
        self, vocab_size: int, emb_dim: int = 32, hidden_size: int = 64, attention: bool = False
    ) -> None:
        super().__init__()
        self.attention = attention
        self.src_emb = nn.Embedding(vocab_size, emb_dim, padding_idx=PAD)
        self.tgt_emb = nn.Embedding(vocab_size, emb_dim, padding_idx=PAD)
        self.encoder = nn.LSTM(emb_dim, hidden_size, batch_first=True)
        self.decoder = nn.LSTM(emb_dim, hidden_size, batch_first=True)
        if attention:
            self.combine = nn.Linear(2 * hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)


@contextlib.contextmanager
def threads(n: int | None) -> Iterator[None]:
    """Run the body with ``torch.set_num_threads(n)``, then restore the previous count.

    ``None`` leaves the thread count alone.
    """
    import torch

    if n is None:
        yield
        return
    if n < 1:
        raise ValueError(f"thread count must be at least 1, got {n}")
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train_seq2seq(
    model: torch.nn.Module,
    task: ReversalTask,
    *,
    steps: int = 2000,
    batch_size: int = 64,
    lr: float = 3e-3,
    clip: float = 1.0,
    seed: int = 0,
    device: torch.device | str | None = None,
    num_threads: int | None = 1,
    progress: bool = True,
    description: str = "training",
    mixed_precision: bool = True,
) -> TrainingLog:
    """Train ``model`` on ``task`` with teacher forcing; return the loss log.

    Each step draws a fresh batch with mixed source lengths (``task.min_len .. task.max_len``),
    computes the cross-entropy of ``model(src, src_lens, dec_in)`` against the targets
    (``PAD`` positions ignored), clips the gradient norm to ``clip`` and takes an Adam step. The
    learning rate follows a cosine schedule from ``lr`` down to 0 over ``steps``.

    Args:
        model: maps ``(src (B, S), src_lens (B,), dec_in (B, T))`` to logits
            ``(B, T, task.vocab_size)``. Trained in place and left in eval mode.
        task: the task to draw batches from.
        steps, batch_size, lr, clip: the optimisation settings.
        seed: seeds the batches (the model's initial weights are the caller's business).
        device: where to train; by default where the model's parameters are.
        num_threads: CPU threads while training (default 1: fastest for small models, and
            reproducible); ``None`` leaves torch's setting alone. Ignored on a GPU.
        progress: show a progress bar (tqdm) with the running loss.
        description: the progress bar's label.
        mixed_precision: run the forward pass under :func:`course_lib.device.autocast`
            (bfloat16 on a recent GPU, no change on the CPU).

    Returns:
        a :class:`TrainingLog`.
    """
    import torch
    import torch.nn.functional as F

    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    params = list(model.parameters())
    if not params:
        raise ValueError("the model has no parameters to train")
    device = torch.device(device) if device is not None else params[0].device
    model.to(device)
    rng = np.random.default_rng(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=steps)
    log = TrainingLog(device=str(device))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc=description, leave=True)
    model.train()
    started = time.perf_counter()
    with threads(num_threads if device.type == "cpu" else None):
        for step in range(steps):
            batch = task.batch(batch_size, rng).to(device)
            with autocast(device) if mixed_precision else contextlib.nullcontext():
                logits = model(batch.src, batch.src_lens, batch.dec_in)
            logits = logits.float()
            if logits.shape[:2] != batch.tgt.shape or logits.shape[-1] != task.vocab_size:
                raise ValueError(
                    f"the model returned logits of shape {tuple(logits.shape)}; expected "
                    f"(batch, target length, vocab_size) = "
                    f"{(*batch.tgt.shape, task.vocab_size)}"
                )
            loss = F.cross_entropy(
                logits.reshape(-1, task.vocab_size), batch.tgt.reshape(-1), ignore_index=PAD
            )
            optimiser.zero_grad()
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimiser.step()
            schedule.step()
            log.losses.append(loss.item())
            if bar is not None:
                bar.update(1)
                if step % 50 == 49 or step == steps - 1:
                    bar.set_postfix(loss=f"{np.mean(log.losses[-50:]):.3f}")
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    log.seconds = time.perf_counter() - started
    log.steps = steps
    if bar is not None:
        bar.close()
    model.eval()
    return log


def accuracy_by_length(
    decode: DecodeFn,
    task: ReversalTask,
    lengths: Sequence[int],
    *,
    n: int = 500,
    seed: int = 10_000,
    device: torch.device | str = "cpu",
) -> dict[int, float]:
    """Token accuracy of greedy decoding at each source length.

    For each length ``L`` in ``lengths``, draws ``n`` sources of exactly ``L`` symbols, asks
    ``decode(src, src_lens, L)`` for ``L`` output tokens and counts the fraction of positions
    equal to the target. Gradients are off.

    Args:
        decode: ``(src (n, L), src_lens (n,), out_len) -> tokens (n, out_len)``.
        task: the task (only its ``n_symbols`` matters here; ``L`` may exceed ``max_len``).
        lengths: the source lengths to test.
        n: sequences per length.
        seed: seeds the test sequences (keep it away from the training seed).
        device: where to put the sources.

    Returns:
        ``{L: accuracy in [0, 1]}`` in the order of ``lengths``.
    """
    import torch

    rng = np.random.default_rng(seed)
    result: dict[int, float] = {}
    with torch.no_grad():
        for length in lengths:
            batch = task.batch(n, rng, length=length).to(device)
            tokens = decode(batch.src, batch.src_lens, length)
            if tuple(tokens.shape) != (n, length):
                raise ValueError(
                    f"decode returned shape {tuple(tokens.shape)}; expected "
                    f"(batch, out_len) = {(n, length)}"
                )
            result[length] = (tokens.to(batch.tgt.device) == batch.tgt).float().mean().item()
    return result


def plot_accuracy_vs_length(
    curves: dict[str, dict[int, float]],
    *,
    ax: Axes | None = None,
    title: str = "Token accuracy vs source length",
    train_max_len: int | None = None,
) -> Axes:
    """Plot one accuracy-vs-length curve per model on shared axes (accuracy in %).

    Args:
        curves: ``{label: {length: accuracy in [0, 1]}}``, as returned by
            :func:`accuracy_by_length`.
        ax: axes to draw on; a new figure by default.
        title: the axes title.
        train_max_len: if given, a dotted line marks the longest training length.

    Returns:
        the axes.
    """
    import matplotlib.pyplot as plt

    if not curves:
        raise ValueError("curves is empty: pass {label: {length: accuracy}}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    markers = "osD^v"
    for i, (label, acc) in enumerate(curves.items()):
        xs = sorted(acc)
        ax.plot(xs, [100 * acc[x] for x in xs], marker=markers[i % len(markers)], label=label)
    if train_max_len is not None:
        ax.axvline(train_max_len, color="grey", linestyle=":", linewidth=1)
    ax.set_ylim(0, 102)
    ax.set_xlabel("source length (tokens)")
    ax.set_ylabel("token accuracy (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax
