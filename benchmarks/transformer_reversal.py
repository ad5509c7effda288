"""Transformer encoder-decoder on the reversal task of notebooks 01/03/06: what it needs to learn.

Trains the model of notebook 06 (its own encoder and decoder layers, written as in the solution,
built from ``nn.MultiheadAttention``) with ``course_lib.training.train_seq2seq`` and prints one
row per run: the configuration, steps, training seconds and the token accuracy of greedy decoding
at source lengths 8, 16 and 24 (500 sequences each).

    python benchmarks/transformer_reversal.py                      # the notebook's CPU config
    python benchmarks/transformer_reversal.py --scale both --seeds 0,1,2
    python benchmarks/transformer_reversal.py --layers 1 --steps 700
    python benchmarks/transformer_reversal.py --size gpu --steps 5  # the GPU config, a smoke run

``--scale on`` multiplies the embeddings by sqrt(d_model) as in Vaswani et al. (2017), section
3.4; ``off`` (the notebook's choice) adds the positional encoding to the raw embeddings.
``nn.Embedding`` draws N(0, 1) weights, so with d_model = 64 the factor makes each token vector
about 8 times larger than the positional signal, whose entries lie in [-1, 1]; reversal is all
about position.

Measured by this script (torch 2.13 CPU, 1 training thread, a 2-core machine shared with other
jobs, so the seconds are about 1.5-2x those of a quiet machine); see the notebook for the figures
it quotes.
"""

from __future__ import annotations

import argparse
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.data import SOS, ReversalTask
from course_lib.device import seed_everything
from course_lib.training import accuracy_by_length, train_seq2seq


def sinusoidal_positional_encoding(max_len: int, d_model: int) -> torch.Tensor:
    """(max_len, d_model) float32: sin on even columns, cos on odd ones."""
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]  # (max_len, 1)
    two_i = torch.arange(d_model) // 2 * 2  # (d_model,): 0, 0, 2, 2, 4, ...
    angle = pos / 10000.0 ** (two_i.double() / d_model)  # (max_len, d_model)
    pe = torch.where(torch.arange(d_model) % 2 == 0, torch.sin(angle), torch.cos(angle))
    return pe.float()


class EncoderLayer(nn.Module):
    def __init__(self, d_model: int, num_heads: int, d_ff: int, norm_first: bool = False):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = nn.MultiheadAttention(d_model, num_heads, dropout=0.0, batch_first=True)
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.norm1 = nn.LayerNorm(d_model, eps=1e-5)
        self.norm2 = nn.LayerNorm(d_model, eps=1e-5)

    def _sa(self, x, pad_mask):
        kpm = None if pad_mask is None else ~pad_mask
        return self.self_attn(x, x, x, key_padding_mask=kpm, need_weights=False)[0]

    def _ff(self, x):
        return self.linear2(F.relu(self.linear1(x)))

    def forward(self, x, pad_mask=None):
        if self.norm_first:
            x = x + self._sa(self.norm1(x), pad_mask)
            return x + self._ff(self.norm2(x))
        x = self.norm1(x + self._sa(x, pad_mask))
        return self.norm2(x + self._ff(x))


class DecoderLayer(nn.Module):
    def __init__(self, d_model: int, num_heads: int, d_ff: int, norm_first: bool = False):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = nn.MultiheadAttention(d_model, num_heads, dropout=0.0, batch_first=True)
        self.multihead_attn = nn.MultiheadAttention(
            d_model, num_heads, dropout=0.0, batch_first=True
        )
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.norm1 = nn.LayerNorm(d_model, eps=1e-5)
        self.norm2 = nn.LayerNorm(d_model, eps=1e-5)
        self.norm3 = nn.LayerNorm(d_model, eps=1e-5)

    def _sa(self, y, causal):
        t = y.shape[1]
        forbid = torch.ones(t, t, dtype=torch.bool, device=y.device).triu(1) if causal else None
        return self.self_attn(y, y, y, attn_mask=forbid, need_weights=False)[0]

    def _ca(self, y, memory, memory_pad_mask):
        kpm = None if memory_pad_mask is None else ~memory_pad_mask
        return self.multihead_attn(y, memory, memory, key_padding_mask=kpm, need_weights=False)[0]

    def _ff(self, x):
        return self.linear2(F.relu(self.linear1(x)))

    def forward(self, y, memory, memory_pad_mask=None, causal=True):
        if self.norm_first:
            y = y + self._sa(self.norm1(y), causal)
            y = y + self._ca(self.norm2(y), memory, memory_pad_mask)
            return y + self._ff(self.norm3(y))
        y = self.norm1(y + self._sa(y, causal))
        y = self.norm2(y + self._ca(y, memory, memory_pad_mask))
        return self.norm3(y + self._ff(y))


class Transformer(nn.Module):
    def __init__(
        self,
        vocab_size,
        d_model,
        num_heads,
        d_ff,
        num_layers,
        max_len=64,
        norm_first=True,
        scale=False,
    ):
        super().__init__()
        self.scale = math.sqrt(d_model) if scale else 1.0
        self.src_emb = nn.Embedding(vocab_size, d_model)
        self.tgt_emb = nn.Embedding(vocab_size, d_model)
        self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model), False)
        args = (d_model, num_heads, d_ff, norm_first)
        self.encoder_layers = nn.ModuleList(EncoderLayer(*args) for _ in range(num_layers))
        self.decoder_layers = nn.ModuleList(DecoderLayer(*args) for _ in range(num_layers))
        self.enc_norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()
        self.dec_norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()
        self.out = nn.Linear(d_model, vocab_size)

    def encode(self, src, src_lens):
        s = src.shape[1]
        pad_mask = torch.arange(s, device=src.device)[None, :] < src_lens.to(src.device)[:, None]
        x = self.src_emb(src) * self.scale + self.pe[:s]
        for layer in self.encoder_layers:
            x = layer(x, pad_mask)
        return self.enc_norm(x), pad_mask

    def decode_logits(self, dec_in, memory, pad_mask):
        y = self.tgt_emb(dec_in) * self.scale + self.pe[: dec_in.shape[1]]
        for layer in self.decoder_layers:
            y = layer(y, memory, pad_mask, causal=True)
        return self.out(self.dec_norm(y))

    def forward(self, src, src_lens, dec_in):
        memory, pad_mask = self.encode(src, src_lens)
        return self.decode_logits(dec_in, memory, pad_mask)

    @torch.no_grad()
    def decode(self, src, src_lens, out_len):
        memory, pad_mask = self.encode(src, src_lens)
        tokens = torch.full((src.shape[0], 1), SOS, dtype=torch.long, device=src.device)
        for _ in range(out_len):
            logits = self.decode_logits(tokens, memory, pad_mask)  # (B, t, V)
            tokens = torch.cat([tokens, logits[:, -1].argmax(dim=-1, keepdim=True)], dim=1)
        return tokens[:, 1:]


SIZES = {
    "cpu": dict(d_model=64, num_heads=4, d_ff=128, num_layers=2, steps=800, batch=64),
    "gpu": dict(d_model=128, num_heads=8, d_ff=512, num_layers=3, steps=3000, batch=256),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="cpu")
    parser.add_argument("--scale", choices=["on", "off", "both"], default="off")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--layers", type=int, default=None)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--post-norm", action="store_true", help="norm_first=False")
    args = parser.parse_args()
    cfg = dict(SIZES[args.size])
    if args.steps is not None:
        cfg["steps"] = args.steps
    if args.layers is not None:
        cfg["num_layers"] = args.layers
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    task = ReversalTask()
    scales = {"on": [True], "off": [False], "both": [False, True]}[args.scale]
    print(f"{'config':<52} {'steps':>5} {'seconds':>7} {'len 8':>6} {'len 16':>6} {'len 24':>6}")
    for scale in scales:
        for seed in (int(s) for s in args.seeds.split(",")):
            seed_everything(seed)
            model = Transformer(
                task.vocab_size,
                cfg["d_model"],
                cfg["num_heads"],
                cfg["d_ff"],
                cfg["num_layers"],
                norm_first=not args.post_norm,
                scale=scale,
            ).to(device)
            log = train_seq2seq(
                model,
                task,
                steps=cfg["steps"],
                batch_size=cfg["batch"],
                lr=args.lr,
                seed=seed,
                progress=False,
            )
            acc = accuracy_by_length(model.decode, task, [8, 16, 24], device=device)
            name = (
                f"d{cfg['d_model']} {cfg['num_layers']}+{cfg['num_layers']} "
                f"{'post' if args.post_norm else 'pre'}-norm "
                f"sqrt(d) {'on' if scale else 'off'} seed {seed} "
                f"loss {sum(log.losses[-50:]) / 50:.4f}"
            )
            print(
                f"{name:<52} {cfg['steps']:>5} {log.seconds:>7.1f} "
                + " ".join(f"{100 * acc[n]:>6.1f}" for n in (8, 16, 24)),
                flush=True,
            )


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - started:.0f} s")
