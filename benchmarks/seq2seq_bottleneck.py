"""The bottleneck experiment of notebooks 01 and 03, repeated over seeds.

The notebooks train each LSTM encoder-decoder once, with seed 0: notebook 01 without attention,
notebook 03 with and without, notebook 06 both again (written with PyTorch's built-ins). This
script trains the very same models (loaded from the solution notebooks by
``benchmarks/solution_code.py``, never re-typed here) with the same settings over several seeds,
for the seed-to-seed ranges that the notebooks' prose quotes:

- model A, no attention: notebook 01's ``Seq2Seq`` with its ``greedy_decode``
  (``--source 06``: notebook 06's ``LSTMSeq2Seq(attention=False)``);
- model B, attention: notebook 03's ``Seq2Seq(attention=True)`` with its ``greedy_decode``
  (``--source 06``: ``LSTMSeq2Seq(attention=True)``).

Training is ``course_lib.training.train_seq2seq`` as in the notebooks (2000 steps of 64
sequences, Adam at 3e-3 on a cosine schedule, gradient norm clipped at 1, one CPU thread); each
model is built right after ``seed_everything(seed)``, its batches drawn with ``seed``. Evaluation
is ``accuracy_by_length``: token accuracy of greedy decoding on 500 fresh sequences per source
length, drawn with seed ``10_000 + seed`` (for seed 0 exactly the notebooks' test sequences).

    python benchmarks/seq2seq_bottleneck.py                       # seed 0: the notebooks' run
    python benchmarks/seq2seq_bottleneck.py --seeds 0,1,2         # the ranges the prose quotes
    python benchmarks/seq2seq_bottleneck.py --steps 50 --models A # a smoke run (seconds)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch
from solution_code import load

from course_lib.data import ReversalTask
from course_lib.device import seed_everything
from course_lib.training import DecodeFn, accuracy_by_length, train_seq2seq

LENGTHS = [4, 8, 12, 16, 20, 24]
MODELS = {"A": "no attention", "B": "attention"}


def builders(source: str) -> dict[str, Callable[[int], tuple[torch.nn.Module, DecodeFn]]]:
    """For each model letter, a function: vocab_size -> (model, decode function)."""
    if source == "06":
        (lstm,) = load("06_transformer", ["LSTMSeq2Seq"]).values()

        def from_06(attention: bool):
            def build(vocab_size: int):
                model = lstm(vocab_size, attention=attention)
                return model, model.decode

            return build

        return {"A": from_06(False), "B": from_06(True)}
    plain, decode_plain = load("01_rnn_limits", ["Seq2Seq", "greedy_decode"]).values()
    attentive, decode_attentive = load("03_attention", ["Seq2Seq", "greedy_decode"]).values()

    def build_a(vocab_size: int):
        model = plain(vocab_size)
        return model, lambda src, lens, n: decode_plain(model, src, lens, n)

    def build_b(vocab_size: int):
        model = attentive(vocab_size, attention=True)
        return model, lambda src, lens, n: decode_attentive(model, src, lens, n)[0]

    return {"A": build_a, "B": build_b}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    parser.add_argument("--models", default="A,B", help="A (no attention), B (attention)")
    parser.add_argument("--source", choices=["01-03", "06"], default="01-03")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    args = parser.parse_args()
    task = ReversalTask()
    build = builders(args.source)
    seeds = [int(s) for s in args.seeds.split(",")]
    letters = args.models.split(",")
    print(f"source {args.source}, {args.steps} steps of {args.batch}, lr {args.lr}")
    accuracy: dict[str, list[list[float]]] = {m: [] for m in letters}
    seconds: dict[str, list[float]] = {m: [] for m in letters}
    for m in letters:
        for seed in seeds:
            seed_everything(seed)
            model, decode = build[m](task.vocab_size)
            log = train_seq2seq(
                model,
                task,
                steps=args.steps,
                batch_size=args.batch,
                lr=args.lr,
                seed=seed,
                progress=False,
            )
            acc = accuracy_by_length(decode, task, LENGTHS, seed=10_000 + seed)
            accuracy[m].append([100 * acc[n] for n in LENGTHS])
            seconds[m].append(log.seconds)
            print(
                f"model {m} ({MODELS[m]}) seed {seed}: trained in {log.seconds:.1f} s, final "
                f"loss {np.mean(log.losses[-50:]):.3f}; accuracy % "
                + " ".join(f"{n}:{a:.1f}" for n, a in zip(LENGTHS, accuracy[m][-1], strict=True)),
                flush=True,
            )
    for m in letters:
        table = np.array(accuracy[m])  # (seeds, lengths)
        print(
            f"SUMMARY {m} ({MODELS[m]}), mean [min-max] over seeds {args.seeds}: "
            + " ".join(
                f"{n}:{table[:, i].mean():.1f}[{table[:, i].min():.1f}-{table[:, i].max():.1f}]"
                for i, n in enumerate(LENGTHS)
            )
            + f"; training {np.mean(seconds[m]):.1f} s"
        )


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - started:.0f} s")
