"""Notebook 06's Transformer on the reversal task of notebooks 01/03/06: what it needs to learn.

Trains the ``Transformer`` of notebook 06, loaded from the solution notebook (with its encoder
and decoder layers, by ``benchmarks/solution_code.py``; never re-typed here), at the sizes of
the notebook's ``CONFIG``, with ``course_lib.training.train_seq2seq``, and prints one row per
run: the configuration, steps, training seconds and the token accuracy of greedy decoding at
source lengths 8, 16 and 24 (500 sequences each).

    python benchmarks/transformer_reversal.py                      # the notebook's CPU config
    python benchmarks/transformer_reversal.py --scale both --seeds 0,1,2
    python benchmarks/transformer_reversal.py --layers 1 --steps 700
    python benchmarks/transformer_reversal.py --size gpu --steps 5  # the GPU config, a smoke run

``--scale on`` multiplies the embeddings by sqrt(d_model) as in Vaswani et al. (2017), section
3.4 (the notebook's model does not: it adds the positional encoding to the raw embeddings, and
the script wraps its two embedding tables to try the factor). ``nn.Embedding`` draws N(0, 1)
weights, so with d_model = 64 the factor makes each token vector about 8 times larger than the
positional signal, whose entries lie in [-1, 1]; reversal is all about position.
``--post-norm`` builds the notebook's model with ``norm_first=False``.

The seconds depend on the machine and its load: a 2-core machine shared with other jobs takes
about 1.5-2x as long as a quiet one. The notebook quotes the accuracies it measured.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import torch
from solution_code import load
from torch import nn

from course_lib.data import ReversalTask
from course_lib.device import SIZE_ENV_VAR, seed_everything
from course_lib.training import accuracy_by_length, train_seq2seq


class Scaled(nn.Module):
    """``module(x) * factor``: an embedding table scaled by sqrt(d_model)."""

    def __init__(self, module: nn.Module, factor: float) -> None:
        super().__init__()
        self.module, self.factor = module, factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x) * self.factor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["cpu", "gpu"], default="cpu", help="CONFIG to use")
    parser.add_argument("--scale", choices=["on", "off", "both"], default="off")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--steps", type=int, default=None, help="default: the config's")
    parser.add_argument("--layers", type=int, default=None, help="default: the config's")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--post-norm", action="store_true", help="norm_first=False")
    args = parser.parse_args()
    os.environ[SIZE_ENV_VAR] = args.size  # the notebook's size_switch picks CONFIG by it
    transformer, config = load(
        "06_transformer", ["Transformer", "CONFIG"], assigned=["DEVICE", "CONFIG"]
    ).values()
    steps = config.steps if args.steps is None else args.steps
    layers = config.num_layers if args.layers is None else args.layers
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    task = ReversalTask()
    scales = {"on": [True], "off": [False], "both": [False, True]}[args.scale]
    print(f"{'config':<52} {'steps':>5} {'seconds':>7} {'len 8':>6} {'len 16':>6} {'len 24':>6}")
    for scale in scales:
        for seed in (int(s) for s in args.seeds.split(",")):
            seed_everything(seed)
            model = transformer(
                task.vocab_size,
                config.d_model,
                config.num_heads,
                config.d_ff,
                layers,
                norm_first=not args.post_norm,
            )
            if scale:
                factor = math.sqrt(config.d_model)
                model.src_emb = Scaled(model.src_emb, factor)
                model.tgt_emb = Scaled(model.tgt_emb, factor)
            model.to(device)
            log = train_seq2seq(
                model,
                task,
                steps=steps,
                batch_size=config.batch_size,
                lr=args.lr,
                seed=seed,
                progress=False,
            )
            acc = accuracy_by_length(model.decode, task, [8, 16, 24], device=device)
            name = (
                f"d{config.d_model} {layers}+{layers} "
                f"{'post' if args.post_norm else 'pre'}-norm "
                f"sqrt(d) {'on' if scale else 'off'} seed {seed} "
                f"loss {sum(log.losses[-50:]) / len(log.losses[-50:]):.4f}"
            )
            print(
                f"{name:<52} {steps:>5} {log.seconds:>7.1f} "
                + " ".join(f"{100 * acc[n]:>6.1f}" for n in (8, 16, 24)),
                flush=True,
            )


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - started:.0f} s")
