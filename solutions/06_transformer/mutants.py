"""Common wrong answers to notebook 06; each must lose points on the test cell it names.

Run with ``python -m autograder mutants --assignment 06_transformer``.
"""

import textwrap

from autograder.mutants import Mutant

# ---- sinusoidal_positional_encoding ---------------------------------------------------------

_PE_HEAD = "import torch\n\n\ndef sinusoidal_positional_encoding(max_len, d_model):\n"


def _pe(body: str) -> str:
    return _PE_HEAD + body


def _pe_angles(exponent: str, even: str = "torch.sin", odd: str = "torch.cos") -> str:
    """A vectorised answer whose angle is p / 10000 ** (``exponent``), j the column index."""
    return _pe(
        "    p = torch.arange(max_len, dtype=torch.float32)[:, None]\n"
        "    j = torch.arange(d_model, dtype=torch.float32)[None, :]\n"
        f"    angle = p / 10000.0 ** ({exponent})\n"
        f"    return torch.where(j % 2 == 0, {even}(angle), {odd}(angle))\n"
    )


# ---- FeedForward ----------------------------------------------------------------------------

_FF_HEAD = """import torch
import torch.nn.functional as F
from torch import nn


class FeedForward(nn.Module):
    def __init__(self, d_model, d_ff):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x):
"""

# ---- EncoderLayer ---------------------------------------------------------------------------

_ENC_HEAD = """import torch
import torch.nn.functional as F
from torch import nn


class EncoderLayer(nn.Module):
    def __init__(self, d_model, num_heads, d_ff, norm_first=False):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = nn.MultiheadAttention(d_model, num_heads, dropout=0.0, batch_first=True)
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.norm1 = nn.LayerNorm(d_model, eps=1e-5)
        self.norm2 = nn.LayerNorm(d_model, eps=1e-5)

    def sa(self, h, pad_mask):
        kpm = None if pad_mask is None else {kpm}
        return self.self_attn(h, h, h, key_padding_mask=kpm, need_weights=False)[0]

    def ff(self, h):
        return self.linear2({act}(self.linear1(h)))

    def forward(self, x, pad_mask=None):
"""

_ENC_PRE = (
    "        x = x + self.sa(self.norm1(x), pad_mask)\n        return x + self.ff(self.norm2(x))\n"
)
_ENC_POST = (
    "        x = self.norm1(x + self.sa(x, pad_mask))\n        return self.norm2(x + self.ff(x))\n"
)


def _enc(body: str, kpm: str = "~pad_mask", act: str = "torch.relu") -> str:
    return _ENC_HEAD.format(kpm=kpm, act=act) + body


def _enc_both(pre: str = _ENC_PRE, post: str = _ENC_POST, **kw: str) -> str:
    """A forward that branches on norm_first: ``pre`` (indented once more), else ``post``."""
    return _enc("        if self.norm_first:\n" + textwrap.indent(pre, "    ") + post, **kw)


# ---- DecoderLayer ---------------------------------------------------------------------------

_DEC_HEAD = """import torch
import torch.nn.functional as F
from torch import nn


class DecoderLayer(nn.Module):
    def __init__(self, d_model, num_heads, d_ff, norm_first=False):
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

    def sa(self, h, causal):
        T = h.shape[1]
        forbid = {forbid} if causal else None
        return self.self_attn(h, h, h, attn_mask=forbid, need_weights=False)[0]

    def ca(self, h, memory, memory_pad_mask):
        kpm = None if memory_pad_mask is None else {kpm}
        return self.multihead_attn({q}, {k}, {v}, key_padding_mask=kpm, need_weights=False)[0]

    def ff(self, h):
        return self.linear2(torch.relu(self.linear1(h)))

    def forward(self, y, memory, memory_pad_mask=None, causal=True):
"""

_CAUSAL = "torch.ones(T, T, dtype=torch.bool).triu(1)"
_DEC_BODY = """        if self.norm_first:
            y = y + self.sa(self.norm1(y), causal)
            y = y + self.ca(self.norm2(y), memory, memory_pad_mask)
            return y + self.ff(self.norm3(y))
        y = self.norm1(y + self.sa(y, causal))
        y = self.norm2(y + self.ca(y, memory, memory_pad_mask))
        return self.norm3(y + self.ff(y))
"""


def _dec(
    body: str = _DEC_BODY,
    forbid: str = _CAUSAL,
    kpm: str = "~memory_pad_mask",
    q: str = "h",
    k: str = "memory",
    v: str = "memory",
) -> str:
    return _DEC_HEAD.format(forbid=forbid, kpm=kpm, q=q, k=k, v=v) + body


# ---- Transformer ----------------------------------------------------------------------------

_TF_HEAD = """import math
import torch
from torch import nn
from course_lib.data import PAD, SOS


class Transformer(nn.Module):
    def __init__(self, vocab_size, d_model, num_heads, d_ff, num_layers, max_len=64,
                 norm_first=True):
        super().__init__()
        self.src_emb = nn.Embedding(vocab_size, d_model)
        self.tgt_emb = nn.Embedding(vocab_size, d_model)
        self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model),
                             persistent=False)
        self.encoder_layers = nn.ModuleList(
            EncoderLayer(d_model, num_heads, d_ff, norm_first) for _ in range(num_layers)
        )
        self.decoder_layers = nn.ModuleList(
            DecoderLayer(d_model, num_heads, d_ff, norm_first) for _ in range(num_layers)
        )
        self.enc_norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()
        self.dec_norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()
        self.out = nn.Linear(d_model, vocab_size)

    def forward(self, src, src_lens, dec_in):
        memory, pad_mask = self.encode(src, src_lens)
        return self.decode_logits(dec_in, memory, pad_mask)
"""

_ENCODE = """
    def encode(self, src, src_lens):
        S = src.shape[1]
        pad_mask = {mask}
        x = {src_in}
        for layer in self.encoder_layers:
            x = layer(x, {enc_mask})
        return {memory}, pad_mask
"""

_DECODE_LOGITS = """
    def decode_logits(self, dec_in, memory, pad_mask):
        y = {tgt_in}
        for layer in self.decoder_layers:
            y = layer(y, memory, {mem_mask}, causal={causal})
        return self.out({final})
"""

_DECODE = """
    @torch.no_grad()
    def decode(self, src, src_lens, out_len):
        memory, pad_mask = self.encode(src, src_lens)
        tokens = torch.full((src.shape[0], 1), SOS, dtype=torch.long)
        for _ in range(out_len):
            logits = self.decode_logits(tokens, memory, pad_mask)
            tokens = torch.cat([tokens, logits[:, -1].argmax(dim=-1, keepdim=True)], dim=1)
        return tokens[:, 1:]
"""


def _tf(
    *,
    mask: str = "torch.arange(S)[None, :] < src_lens[:, None]",
    src_in: str = "self.src_emb(src) + self.pe[:S]",
    enc_mask: str = "pad_mask",
    memory: str = "self.enc_norm(x)",
    tgt_in: str = "self.tgt_emb(dec_in) + self.pe[: dec_in.shape[1]]",
    mem_mask: str = "pad_mask",
    causal: str = "True",
    final: str = "self.dec_norm(y)",
    decode: str = _DECODE,
) -> str:
    return (
        _TF_HEAD
        + _ENCODE.format(mask=mask, src_in=src_in, enc_mask=enc_mask, memory=memory)
        + _DECODE_LOGITS.format(tgt_in=tgt_in, mem_mask=mem_mask, causal=causal, final=final)
        + decode
    )


MUTANTS = [
    # ---- sinusoidal_positional_encoding ---------------------------------------------------
    Mutant(
        "pe_sin_cos_swapped",
        "sinusoidal_positional_encoding",
        _pe_angles("(j - j % 2) / d_model", even="torch.cos", odd="torch.sin"),
        ("test_positional_encoding_values", "test_positional_encoding_properties"),
        "cosines in the even columns, sines in the odd ones",
    ),
    Mutant(
        "pe_exponent_column_index",
        "sinusoidal_positional_encoding",
        _pe_angles("j / d_model"),
        ("test_positional_encoding_values",),
        "uses the column index j instead of 2i in the exponent: the cosine gets its own frequency",
    ),
    Mutant(
        "pe_exponent_doubled",
        "sinusoidal_positional_encoding",
        _pe_angles("2 * j / d_model"),
        ("test_positional_encoding_values",),
        "writes 2j/d for column j (twice the exponent of the formula)",
    ),
    Mutant(
        "pe_multiplies",
        "sinusoidal_positional_encoding",
        _pe(
            "    p = torch.arange(max_len, dtype=torch.float32)[:, None]\n"
            "    j = torch.arange(d_model, dtype=torch.float32)[None, :]\n"
            "    angle = p * 10000.0 ** ((j - j % 2) / d_model)\n"
            "    return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))\n"
        ),
        ("test_positional_encoding_values",),
        "multiplies the position by 10000^(2i/d) instead of dividing",
    ),
    Mutant(
        "pe_halves",
        "sinusoidal_positional_encoding",
        _pe(
            "    p = torch.arange(max_len, dtype=torch.float32)[:, None]\n"
            "    two_i = torch.arange(0, d_model, 2, dtype=torch.float32)\n"
            "    angle = p / 10000.0 ** (two_i / d_model)\n"
            "    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=1)[:, :d_model]\n"
        ),
        ("test_positional_encoding_values",),
        "puts all sines in the first half and all cosines in the second (another layout)",
    ),
    Mutant(
        "pe_float64",
        "sinusoidal_positional_encoding",
        _pe(
            "    p = torch.arange(max_len, dtype=torch.float64)[:, None]\n"
            "    j = torch.arange(d_model, dtype=torch.float64)[None, :]\n"
            "    angle = p / 10000.0 ** ((j - j % 2) / d_model)\n"
            "    return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))\n"
        ),
        ("test_positional_encoding_shape",),
        "returns float64, which cannot be added to float32 embeddings without a cast",
    ),
    Mutant(
        "pe_positions_from_one",
        "sinusoidal_positional_encoding",
        _pe(
            "    p = torch.arange(1, max_len + 1, dtype=torch.float32)[:, None]\n"
            "    j = torch.arange(d_model, dtype=torch.float32)[None, :]\n"
            "    angle = p / 10000.0 ** ((j - j % 2) / d_model)\n"
            "    return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))\n"
        ),
        ("test_positional_encoding_values", "test_positional_encoding_properties"),
        "counts positions from 1",
    ),
    Mutant(
        "pe_even_d_only",
        "sinusoidal_positional_encoding",
        _pe(
            "    p = torch.arange(max_len, dtype=torch.float32)[:, None]\n"
            "    two_i = torch.arange(0, d_model, 2, dtype=torch.float32)\n"
            "    angle = p / 10000.0 ** (two_i / d_model)\n"
            "    return torch.stack([torch.sin(angle), torch.cos(angle)], dim=-1)"
            ".reshape(max_len, -1)\n"
        ),
        ("test_positional_encoding_shape",),
        "interleaves by stacking pairs: right for even d_model, one column too many for odd",
    ),
    # ---- FeedForward ----------------------------------------------------------------------
    Mutant(
        "ff_no_relu",
        "FeedForward",
        _FF_HEAD + "        return self.linear2(self.linear1(x))\n",
        ("test_feed_forward_values",),
        "forgets the non-linearity: two linear layers are one linear map",
    ),
    Mutant(
        "ff_relu_at_the_end",
        "FeedForward",
        _FF_HEAD + "        return torch.relu(self.linear2(torch.relu(self.linear1(x))))\n",
        ("test_feed_forward_values",),
        "adds a ReLU after linear2 too",
    ),
    Mutant(
        "ff_gelu",
        "FeedForward",
        _FF_HEAD + "        return self.linear2(F.gelu(self.linear1(x)))\n",
        ("test_feed_forward_values",),
        "uses GELU (GPT's choice) instead of the ReLU of the paper and of PyTorch's default",
    ),
    Mutant(
        "ff_residual_inside",
        "FeedForward",
        _FF_HEAD + "        return x + self.linear2(torch.relu(self.linear1(x)))\n",
        ("test_feed_forward_values",),
        "adds the residual connection inside the feed-forward network",
    ),
    Mutant(
        "ff_linears_swapped",
        "FeedForward",
        _FF_HEAD + "        return self.linear1(torch.relu(self.linear2(x)))\n",
        ("test_feed_forward_shape", "test_feed_forward_values"),
        "applies linear2 first",
    ),
    Mutant(
        "ff_only_linear1",
        "FeedForward",
        _FF_HEAD + "        return torch.relu(self.linear1(x))\n",
        ("test_feed_forward_shape",),
        "never projects back to d_model",
    ),
    # ---- EncoderLayer ---------------------------------------------------------------------
    Mutant(
        "enc_always_post_norm",
        "EncoderLayer",
        _enc(_ENC_POST),
        ("test_encoder_layer_pre_norm",),
        "ignores norm_first: always post-norm",
    ),
    Mutant(
        "enc_always_pre_norm",
        "EncoderLayer",
        _enc(_ENC_PRE),
        ("test_encoder_layer_post_norm",),
        "ignores norm_first: always pre-norm",
    ),
    Mutant(
        "enc_pre_norm_normalises_stream",
        "EncoderLayer",
        _enc_both(
            pre="        x = self.norm1(x)\n        x = x + self.sa(x, pad_mask)\n"
            "        x = self.norm2(x)\n        return x + self.ff(x)\n"
        ),
        ("test_encoder_layer_pre_norm",),
        "pre-norm that normalises the residual stream itself, not just the sub-layer's input",
    ),
    Mutant(
        "enc_post_norm_on_sublayer_only",
        "EncoderLayer",
        _enc_both(
            post="        x = x + self.norm1(self.sa(x, pad_mask))\n"
            "        return x + self.norm2(self.ff(x))\n"
        ),
        ("test_encoder_layer_post_norm",),
        "post-norm that normalises the sub-layer's output before the residual sum",
    ),
    Mutant(
        "enc_no_attention_residual",
        "EncoderLayer",
        _enc_both(
            pre="        x = self.sa(self.norm1(x), pad_mask)\n"
            "        return x + self.ff(self.norm2(x))\n",
            post="        x = self.norm1(self.sa(x, pad_mask))\n"
            "        return self.norm2(x + self.ff(x))\n",
        ),
        ("test_encoder_layer_post_norm", "test_encoder_layer_pre_norm"),
        "forgets the residual connection around the attention",
    ),
    Mutant(
        "enc_norms_swapped",
        "EncoderLayer",
        _enc_both(
            pre="        x = x + self.sa(self.norm2(x), pad_mask)\n"
            "        return x + self.ff(self.norm1(x))\n",
            post="        x = self.norm2(x + self.sa(x, pad_mask))\n"
            "        return self.norm1(x + self.ff(x))\n",
        ),
        ("test_encoder_layer_post_norm", "test_encoder_layer_pre_norm"),
        "uses norm2 for the attention and norm1 for the feed-forward",
    ),
    Mutant(
        "enc_no_relu",
        "EncoderLayer",
        _enc_both(act=""),
        ("test_encoder_layer_post_norm", "test_encoder_layer_pre_norm"),
        "feed-forward without the ReLU",
    ),
    Mutant(
        "enc_mask_ignored",
        "EncoderLayer",
        _enc_both(kpm="None"),
        ("test_encoder_layer_padding",),
        "never passes the padding mask to the attention",
    ),
    Mutant(
        "enc_mask_not_inverted",
        "EncoderLayer",
        _enc_both(kpm="pad_mask"),
        ("test_encoder_layer_padding",),
        "passes the course's mask (True = real) where PyTorch wants True = ignore",
    ),
    Mutant(
        "enc_wraps_torch_layer",
        "EncoderLayer",
        _ENC_HEAD.format(kpm="~pad_mask", act="torch.relu")
        + "        ref = nn.TransformerEncoderLayer(\n"
        "            self.linear1.in_features, self.self_attn.num_heads,\n"
        "            self.linear1.out_features, dropout=0.0, batch_first=True,\n"
        "            norm_first=self.norm_first,\n"
        "        )\n"
        "        ref.load_state_dict(self.state_dict())\n"
        "        return ref(x, src_key_padding_mask=None if pad_mask is None else ~pad_mask)\n",
        ("test_encoder_layer_post_norm", "test_encoder_layer_pre_norm"),
        "wraps nn.TransformerEncoderLayer instead of writing the layer",
    ),
    # ---- DecoderLayer ---------------------------------------------------------------------
    Mutant(
        "dec_cross_attention_keys_from_decoder",
        "DecoderLayer",
        _dec(k="h"),
        ("test_decoder_layer_shape",),
        "cross-attention reads the decoder's keys: multihead_attn(y, y, memory)",
    ),
    Mutant(
        "dec_cross_attention_is_self_attention",
        "DecoderLayer",
        _dec(k="h", v="h", kpm="None"),
        ("test_decoder_layer_post_norm", "test_decoder_layer_pre_norm"),
        "the second attention attends to the decoder again, never to the memory",
    ),
    Mutant(
        "dec_queries_from_memory",
        "DecoderLayer",
        _dec(q="memory", k="h", v="h", kpm="None"),
        ("test_decoder_layer_shape",),
        "queries from the encoder, keys and values from the decoder",
    ),
    Mutant(
        "dec_causal_off_by_one",
        "DecoderLayer",
        _dec(forbid="torch.ones(T, T, dtype=torch.bool).triu(2)"),
        ("test_decoder_layer_causal", "test_decoder_layer_post_norm"),
        "the mask lets position t see position t + 1",
    ),
    Mutant(
        "dec_causal_mask_not_inverted",
        "DecoderLayer",
        _dec(forbid="torch.ones(T, T, dtype=torch.bool).tril()"),
        ("test_decoder_layer_causal", "test_decoder_layer_post_norm"),
        "passes the course's causal mask (True = attend) where PyTorch wants True = forbidden",
    ),
    Mutant(
        "dec_no_causal_mask",
        "DecoderLayer",
        _dec(forbid="None"),
        ("test_decoder_layer_causal", "test_decoder_layer_post_norm"),
        "forgets the causal mask",
    ),
    Mutant(
        "dec_always_causal",
        "DecoderLayer",
        _dec().replace(
            "forbid = torch.ones(T, T, dtype=torch.bool).triu(1) if causal else None",
            "forbid = torch.ones(T, T, dtype=torch.bool).triu(1)",
        ),
        ("test_decoder_layer_causal",),
        "ignores causal=False",
    ),
    Mutant(
        "dec_memory_mask_ignored",
        "DecoderLayer",
        _dec(kpm="None"),
        ("test_decoder_layer_memory_mask",),
        "never passes the memory's padding mask to the cross-attention",
    ),
    Mutant(
        "dec_always_post_norm",
        "DecoderLayer",
        _dec(
            body="        y = self.norm1(y + self.sa(y, causal))\n"
            "        y = self.norm2(y + self.ca(y, memory, memory_pad_mask))\n"
            "        return self.norm3(y + self.ff(y))\n"
        ),
        ("test_decoder_layer_pre_norm",),
        "ignores norm_first: always post-norm",
    ),
    Mutant(
        "dec_norms_2_and_3_swapped",
        "DecoderLayer",
        _dec(
            body=_DEC_BODY.replace("norm2", "normX")
            .replace("norm3", "norm2")
            .replace("normX", "norm3")
        ),
        ("test_decoder_layer_post_norm", "test_decoder_layer_pre_norm"),
        "uses norm3 for the cross-attention and norm2 for the feed-forward",
    ),
    Mutant(
        "dec_pre_norm_normalises_memory",
        "DecoderLayer",
        _dec(
            body=_DEC_BODY.replace(
                "y = y + self.ca(self.norm2(y), memory, memory_pad_mask)",
                "y = y + self.ca(self.norm2(y), self.norm2(memory), memory_pad_mask)",
            )
        ),
        ("test_decoder_layer_pre_norm",),
        "pre-norm that also normalises the memory before the cross-attention",
    ),
    Mutant(
        "dec_wraps_torch_layer",
        "DecoderLayer",
        _dec(
            body="        ref = nn.TransformerDecoderLayer(\n"
            "            self.linear1.in_features, self.self_attn.num_heads,\n"
            "            self.linear1.out_features, dropout=0.0, batch_first=True,\n"
            "            norm_first=self.norm_first,\n"
            "        )\n"
            "        ref.load_state_dict(self.state_dict())\n"
            "        T = y.shape[1]\n"
            "        return ref(y, memory,\n"
            "                   tgt_mask=torch.ones(T, T, dtype=torch.bool).triu(1) if causal\n"
            "                   else None,\n"
            "                   memory_key_padding_mask=None if memory_pad_mask is None\n"
            "                   else ~memory_pad_mask)\n"
        ),
        ("test_decoder_layer_post_norm", "test_decoder_layer_pre_norm"),
        "wraps nn.TransformerDecoderLayer instead of writing the layer",
    ),
    # ---- Transformer ----------------------------------------------------------------------
    Mutant(
        "tf_sqrt_d_scale",
        "Transformer",
        _tf(
            src_in="self.src_emb(src) * math.sqrt(self.pe.shape[1]) + self.pe[:S]",
            tgt_in="self.tgt_emb(dec_in) * math.sqrt(self.pe.shape[1]) "
            "+ self.pe[: dec_in.shape[1]]",
        ),
        ("test_transformer_values",),
        "multiplies the embeddings by sqrt(d_model), which the notebook does not",
    ),
    Mutant(
        "tf_no_positional_encoding",
        "Transformer",
        _tf(src_in="self.src_emb(src)", tgt_in="self.tgt_emb(dec_in)"),
        ("test_transformer_positions", "test_transformer_values"),
        "forgets the positional encoding: the model sees bags of tokens",
    ),
    Mutant(
        "tf_pe_on_source_only",
        "Transformer",
        _tf(tgt_in="self.tgt_emb(dec_in)"),
        ("test_transformer_values",),
        "adds the positional encoding to the source but not to the decoder's input",
    ),
    Mutant(
        "tf_decoder_not_causal",
        "Transformer",
        _tf(causal="False"),
        ("test_transformer_causal", "test_transformer_decode"),
        "runs the decoder layers without the causal mask",
    ),
    Mutant(
        "tf_mask_from_token_ids",
        "Transformer",
        _tf(mask="src != PAD"),
        ("test_transformer_padding",),
        "builds the padding mask from the token ids instead of src_lens",
    ),
    Mutant(
        "tf_no_padding_mask",
        "Transformer",
        _tf(enc_mask="None", mem_mask="None"),
        ("test_transformer_padding",),
        "never passes the padding mask to the layers",
    ),
    Mutant(
        "tf_no_final_norms",
        "Transformer",
        _tf(memory="x", final="y"),
        ("test_transformer_values",),
        "skips the final enc_norm and dec_norm",
    ),
    Mutant(
        "tf_decoder_reads_embeddings",
        "Transformer",
        _tf(memory="self.enc_norm(self.src_emb(src) + self.pe[:S])"),
        ("test_transformer_values",),
        "gives the decoder the embedded source instead of the encoder's output",
    ),
    Mutant(
        "tf_decode_keeps_sos",
        "Transformer",
        _tf(decode=_DECODE.replace("return tokens[:, 1:]", "return tokens")),
        ("test_transformer_shapes", "test_transformer_decode"),
        "returns the tokens with the leading SOS",
    ),
    Mutant(
        "tf_decode_first_position",
        "Transformer",
        _tf(decode=_DECODE.replace("logits[:, -1]", "logits[:, 0]")),
        ("test_transformer_decode",),
        "takes each step's prediction from the first position instead of the last",
    ),
    Mutant(
        "tf_decode_one_pass",
        "Transformer",
        _tf(
            decode="\n    @torch.no_grad()\n"
            "    def decode(self, src, src_lens, out_len):\n"
            "        dec_in = torch.full((src.shape[0], out_len), SOS, dtype=torch.long)\n"
            "        return self(src, src_lens, dec_in).argmax(dim=-1)\n"
        ),
        ("test_transformer_decode",),
        "predicts every position in one pass from a row of SOS, never feeding outputs back",
    ),
    Mutant(
        "tf_decode_extra_step",
        "Transformer",
        _tf(decode=_DECODE.replace("range(out_len)", "range(out_len + 1)")),
        ("test_transformer_shapes", "test_transformer_decode"),
        "decodes one token too many",
    ),
    # ---- check your understanding ---------------------------------------------------------
    Mutant(
        "q1_identical",
        "understanding",
        "answer_1 = 'a'\n",
        ("test_understanding_q1",),
        "thinks attention without positions returns the same sequence",
    ),
    Mutant(
        "q2_post_norm",
        "understanding",
        "answer_2 = 'a'\n",
        ("test_understanding_q2",),
        "confuses pre-norm with post-norm",
    ),
    Mutant(
        "q3_reversed",
        "understanding",
        "answer_3 = 'c'\n",
        ("test_understanding_q3",),
        "takes the queries from the encoder",
    ),
    Mutant(
        "q4_squared",
        "understanding",
        "answer_4 = 32\n",
        ("test_understanding_q4",),
        "gives the squared norm",
    ),
    Mutant(
        "q4_as_text",
        "understanding",
        "answer_4 = '5.66'\n",
        ("test_understanding_q4",),
        "writes the number as a string",
    ),
    Mutant(
        "q5_padding",
        "understanding",
        "answer_5 = 'a'\n",
        ("test_understanding_q5",),
        "confuses the causal mask with the padding mask",
    ),
]
