"""Common wrong answers to notebook 05; each must lose points on the test cell it names.

Run with ``python -m autograder mutants --assignment 05_multi_head_attention``.
"""

from autograder.mutants import Mutant

# The given constructor of MultiHeadAttention; mutants of the exercise replace forward only.
_MHA_HEAD = """import math
import torch
from torch import nn


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.d_head = d_model // num_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, query, key, value, mask=None):
"""

# An inline attention a student might write instead of calling the given function.
_INLINE = """        h = self.num_heads
        B, L, D = query.shape
        q = self.q_proj(query).view(B, L, h, D // h).transpose(1, 2)
        k = self.k_proj(key).view(B, key.shape[1], h, D // h).transpose(1, 2)
        v = self.v_proj(value).view(B, value.shape[1], h, D // h).transpose(1, 2)
        scores = q @ k.transpose(-2, -1){scale}
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim={axis})
        context = (weights @ v).transpose(1, 2).reshape(B, L, D)
        return self.out_proj(context), weights
"""


_STANDARD_FORWARD = (
    "        q = split_heads(self.q_proj(query), self.num_heads)\n"
    "        k = split_heads(self.k_proj(key), self.num_heads)\n"
    "        v = split_heads(self.v_proj(value), self.num_heads)\n"
)


def _mha(body: str) -> str:
    return _MHA_HEAD + body


def _mha_tail(tail: str) -> str:
    """A forward that projects and splits correctly, then ends with ``tail``."""
    return _MHA_HEAD + _STANDARD_FORWARD + tail


def _load(body: str) -> str:
    return (
        "import torch\nfrom torch import nn\n\n\n"
        "def load_torch_weights(module, reference):\n"
        "    D = module.q_proj.in_features\n"
        "    w, b = reference.in_proj_weight, reference.in_proj_bias\n" + body
    )


MUTANTS = [
    # ---- split_heads ------------------------------------------------------------------------
    Mutant(
        "split_no_transpose",
        "split_heads",
        "def split_heads(x, num_heads):\n"
        "    B, L, D = x.shape\n"
        "    return x.reshape(B, num_heads, L, D // num_heads)\n",
        ("test_split_heads_values",),
        "reshapes straight to (B, h, L, d_head): right shape, tokens mixed up",
    ),
    Mutant(
        "split_wrong_order",
        "split_heads",
        "def split_heads(x, num_heads):\n"
        "    B, L, D = x.shape\n"
        "    return x.reshape(B, L, D // num_heads, num_heads).permute(0, 3, 1, 2)\n",
        ("test_split_heads_values",),
        "views the features as (d_head, h): head i gets every h-th feature",
    ),
    Mutant(
        "split_missing_transpose",
        "split_heads",
        "def split_heads(x, num_heads):\n"
        "    B, L, D = x.shape\n"
        "    return x.reshape(B, L, num_heads, D // num_heads)\n",
        ("test_split_heads_shape",),
        "forgets the transpose: (B, L, h, d_head)",
    ),
    Mutant(
        "split_h_and_d_head_swapped",
        "split_heads",
        "def split_heads(x, num_heads):\n"
        "    B, L, D = x.shape\n"
        "    return x.reshape(B, L, D // num_heads, num_heads).transpose(1, 2)\n",
        ("test_split_heads_shape",),
        "confuses num_heads and d_head",
    ),
    Mutant(
        "split_transpose_first",
        "split_heads",
        "def split_heads(x, num_heads):\n"
        "    B, L, D = x.shape\n"
        "    return x.transpose(1, 2).reshape(B, num_heads, L, D // num_heads)\n",
        ("test_split_heads_values",),
        "transposes (B, L, D) first, then reshapes: features and tokens interleaved",
    ),
    Mutant(
        "split_wrong_axes_transposed",
        "split_heads",
        "def split_heads(x, num_heads):\n"
        "    B, L, D = x.shape\n"
        "    return x.reshape(B, L, num_heads, D // num_heads).transpose(2, 3)\n",
        ("test_split_heads_shape",),
        "transposes the last two axes instead of L and h",
    ),
    Mutant(
        "split_the_sequence",
        "split_heads",
        "import torch\n"
        "def split_heads(x, num_heads):\n"
        "    return torch.stack(x.chunk(num_heads, dim=1), dim=1)\n",
        ("test_split_heads_shape",),
        "cuts the sequence into chunks instead of the features",
    ),
    # ---- merge_heads ------------------------------------------------------------------------
    Mutant(
        "merge_no_transpose",
        "merge_heads",
        "def merge_heads(x):\n    B, h, L, dh = x.shape\n    return x.reshape(B, L, h * dh)\n",
        ("test_merge_heads_values",),
        "reshapes (B, h, L, d_head) straight to (B, L, D): right shape, wrong values",
    ),
    Mutant(
        "merge_wrong_order",
        "merge_heads",
        "def merge_heads(x):\n"
        "    B, h, L, dh = x.shape\n"
        "    return x.permute(0, 2, 3, 1).reshape(B, L, h * dh)\n",
        ("test_merge_heads_values",),
        "interleaves the heads' features instead of concatenating them",
    ),
    Mutant(
        "merge_view_after_transpose",
        "merge_heads",
        "def merge_heads(x):\n"
        "    B, h, L, dh = x.shape\n"
        "    return x.transpose(1, 2).view(B, L, h * dh)\n",
        ("test_merge_heads_shape", "test_merge_heads_values"),
        ".view on a non-contiguous tensor raises",
    ),
    Mutant(
        "merge_sums_heads",
        "merge_heads",
        "def merge_heads(x):\n    return x.sum(dim=1)\n",
        ("test_merge_heads_shape",),
        "adds the heads instead of concatenating them",
    ),
    Mutant(
        "merge_mean_heads",
        "merge_heads",
        "def merge_heads(x):\n    return x.mean(dim=1)\n",
        ("test_merge_heads_shape",),
        "averages the heads instead of concatenating them",
    ),
    Mutant(
        "merge_forgets_reshape",
        "merge_heads",
        "def merge_heads(x):\n    return x.transpose(1, 2)\n",
        ("test_merge_heads_shape",),
        "transposes but never joins the last two axes",
    ),
    Mutant(
        "merge_transposes_last_axes",
        "merge_heads",
        "def merge_heads(x):\n"
        "    B, h, L, dh = x.shape\n"
        "    return x.transpose(2, 3).reshape(B, L, h * dh)\n",
        ("test_merge_heads_values",),
        "transposes L and d_head instead of h and L",
    ),
    # ---- MultiHeadAttention -----------------------------------------------------------------
    Mutant(
        "mha_no_out_proj",
        "MultiHeadAttention",
        _mha_tail(
            "        context, weights = scaled_dot_product_attention(q, k, v, mask)\n"
            "        return merge_heads(context), weights\n"
        ),
        ("test_multi_head_attention_values",),
        "forgets the output projection W^O",
    ),
    Mutant(
        "mha_scale_d_model",
        "MultiHeadAttention",
        _mha(_INLINE.format(scale=" / math.sqrt(D)", axis=-1)),
        ("test_multi_head_attention_weights", "test_multi_head_attention_values"),
        "scales by sqrt(d_model) instead of sqrt(d_head)",
    ),
    Mutant(
        "mha_no_scale",
        "MultiHeadAttention",
        _mha(_INLINE.format(scale="", axis=-1)),
        ("test_multi_head_attention_weights", "test_multi_head_attention_values"),
        "forgets the 1/sqrt(d_head) scale",
    ),
    Mutant(
        "mha_softmax_over_queries",
        "MultiHeadAttention",
        _mha(_INLINE.format(scale=" / math.sqrt(D // h)", axis=-2)),
        ("test_multi_head_attention_weights",),
        "takes the softmax over the queries (dim=-2) instead of the keys",
    ),
    Mutant(
        "mha_mask_ignored",
        "MultiHeadAttention",
        _mha_tail(
            "        context, weights = scaled_dot_product_attention(q, k, v)\n"
            "        return self.out_proj(merge_heads(context)), weights\n"
        ),
        ("test_multi_head_attention_mask",),
        "never passes the mask on",
    ),
    Mutant(
        "mha_mask_inverted",
        "MultiHeadAttention",
        _mha_tail(
            "        if mask is not None:\n"
            "            mask = ~mask\n"
            "        context, weights = scaled_dot_product_attention(q, k, v, mask)\n"
            "        return self.out_proj(merge_heads(context)), weights\n"
        ),
        ("test_multi_head_attention_mask",),
        "uses PyTorch's True = forbidden convention",
    ),
    Mutant(
        "mha_weights_averaged",
        "MultiHeadAttention",
        _mha_tail(
            "        context, weights = scaled_dot_product_attention(q, k, v, mask)\n"
            "        return self.out_proj(merge_heads(context)), weights.mean(dim=1)\n"
        ),
        ("test_multi_head_attention_shapes",),
        "averages the weights over the heads, as nn.MultiheadAttention does by default",
    ),
    Mutant(
        "mha_q_and_k_projections_swapped",
        "MultiHeadAttention",
        _mha(
            "        q = split_heads(self.k_proj(query), self.num_heads)\n"
            "        k = split_heads(self.q_proj(key), self.num_heads)\n"
            "        v = split_heads(self.v_proj(value), self.num_heads)\n"
            "        context, weights = scaled_dot_product_attention(q, k, v, mask)\n"
            "        return self.out_proj(merge_heads(context)), weights\n"
        ),
        ("test_multi_head_attention_weights",),
        "projects the queries with W^K and the keys with W^Q",
    ),
    Mutant(
        "mha_values_from_key",
        "MultiHeadAttention",
        _mha(
            "        q = split_heads(self.q_proj(query), self.num_heads)\n"
            "        k = split_heads(self.k_proj(key), self.num_heads)\n"
            "        v = split_heads(self.v_proj(key), self.num_heads)\n"
            "        context, weights = scaled_dot_product_attention(q, k, v, mask)\n"
            "        return self.out_proj(merge_heads(context)), weights\n"
        ),
        ("test_multi_head_attention_values",),
        "projects the keys, not the values, into V (right only in self-attention)",
    ),
    Mutant(
        "mha_k_and_v_projections_swapped",
        "MultiHeadAttention",
        _mha(
            "        q = split_heads(self.q_proj(query), self.num_heads)\n"
            "        k = split_heads(self.v_proj(key), self.num_heads)\n"
            "        v = split_heads(self.k_proj(value), self.num_heads)\n"
            "        context, weights = scaled_dot_product_attention(q, k, v, mask)\n"
            "        return self.out_proj(merge_heads(context)), weights\n"
        ),
        ("test_multi_head_attention_weights",),
        "uses W^V for the keys and W^K for the values",
    ),
    Mutant(
        "mha_inline_split_without_transpose",
        "MultiHeadAttention",
        _mha(
            "        h = self.num_heads\n"
            "        B, L, D = query.shape\n"
            "        S = key.shape[1]\n"
            "        q = self.q_proj(query).reshape(B, h, L, D // h)\n"
            "        k = self.k_proj(key).reshape(B, h, S, D // h)\n"
            "        v = self.v_proj(value).reshape(B, h, S, D // h)\n"
            "        context, weights = scaled_dot_product_attention(q, k, v, mask)\n"
            "        return self.out_proj(context.reshape(B, L, D)), weights\n"
        ),
        ("test_multi_head_attention_weights",),
        "splits and merges the heads by reshaping alone, without transposing",
    ),
    Mutant(
        "mha_one_big_head",
        "MultiHeadAttention",
        _mha(
            "        q, k, v = self.q_proj(query), self.k_proj(key), self.v_proj(value)\n"
            "        if mask is not None:\n"
            "            mask = mask.all(dim=-3) if mask.dim() == 4 else mask\n"
            "        context, weights = scaled_dot_product_attention(q, k, v, mask)\n"
            "        weights = weights.unsqueeze(1).expand(-1, self.num_heads, -1, -1)\n"
            "        return self.out_proj(context), weights\n"
        ),
        ("test_multi_head_attention_weights", "test_multi_head_attention_values"),
        "never splits into heads: one attention over the full width, repeated h times",
    ),
    # ---- load_torch_weights -----------------------------------------------------------------
    Mutant(
        "load_qkv_order",
        "load_torch_weights",
        _load(
            "    with torch.no_grad():\n"
            "        module.k_proj.weight.copy_(w[:D])\n"
            "        module.q_proj.weight.copy_(w[D:2 * D])\n"
            "        module.v_proj.weight.copy_(w[2 * D:])\n"
            "        module.k_proj.bias.copy_(b[:D])\n"
            "        module.q_proj.bias.copy_(b[D:2 * D])\n"
            "        module.v_proj.bias.copy_(b[2 * D:])\n"
            "        module.out_proj.load_state_dict(reference.out_proj.state_dict())\n"
            "    return module\n"
        ),
        ("test_load_torch_weights_parameters", "test_load_torch_weights_output"),
        "assumes in_proj_weight stacks K before Q",
    ),
    Mutant(
        "load_transposed",
        "load_torch_weights",
        _load(
            "    with torch.no_grad():\n"
            "        module.q_proj.weight.copy_(w[:D].T)\n"
            "        module.k_proj.weight.copy_(w[D:2 * D].T)\n"
            "        module.v_proj.weight.copy_(w[2 * D:].T)\n"
            "        module.q_proj.bias.copy_(b[:D])\n"
            "        module.k_proj.bias.copy_(b[D:2 * D])\n"
            "        module.v_proj.bias.copy_(b[2 * D:])\n"
            "        module.out_proj.weight.copy_(reference.out_proj.weight.T)\n"
            "        module.out_proj.bias.copy_(reference.out_proj.bias)\n"
            "    return module\n"
        ),
        ("test_load_torch_weights_parameters", "test_load_torch_weights_output"),
        "transposes the weights, thinking torch stores (in, out)",
    ),
    Mutant(
        "load_no_biases",
        "load_torch_weights",
        _load(
            "    with torch.no_grad():\n"
            "        module.q_proj.weight.copy_(w[:D])\n"
            "        module.k_proj.weight.copy_(w[D:2 * D])\n"
            "        module.v_proj.weight.copy_(w[2 * D:])\n"
            "        module.out_proj.weight.copy_(reference.out_proj.weight)\n"
            "    return module\n"
        ),
        ("test_load_torch_weights_parameters", "test_load_torch_weights_output"),
        "copies the weight matrices but not the biases",
    ),
    Mutant(
        "load_no_out_proj",
        "load_torch_weights",
        _load(
            "    with torch.no_grad():\n"
            "        module.q_proj.weight.copy_(w[:D])\n"
            "        module.k_proj.weight.copy_(w[D:2 * D])\n"
            "        module.v_proj.weight.copy_(w[2 * D:])\n"
            "        module.q_proj.bias.copy_(b[:D])\n"
            "        module.k_proj.bias.copy_(b[D:2 * D])\n"
            "        module.v_proj.bias.copy_(b[2 * D:])\n"
            "    return module\n"
        ),
        ("test_load_torch_weights_parameters", "test_load_torch_weights_output"),
        "forgets to copy the output projection",
    ),
    Mutant(
        "load_shares_storage",
        "load_torch_weights",
        _load(
            "    module.q_proj.weight.data = w.data[:D]\n"
            "    module.k_proj.weight.data = w.data[D:2 * D]\n"
            "    module.v_proj.weight.data = w.data[2 * D:]\n"
            "    module.q_proj.bias.data = b.data[:D]\n"
            "    module.k_proj.bias.data = b.data[D:2 * D]\n"
            "    module.v_proj.bias.data = b.data[2 * D:]\n"
            "    module.out_proj.weight.data = reference.out_proj.weight.data\n"
            "    module.out_proj.bias.data = reference.out_proj.bias.data\n"
            "    return module\n"
        ),
        ("test_load_torch_weights_parameters",),
        "shares the reference's storage instead of copying: later changes leak through",
    ),
    Mutant(
        "load_chunks_wrong_axis",
        "load_torch_weights",
        _load(
            "    wq, wk, wv = w.chunk(3, dim=1)\n"
            "    with torch.no_grad():\n"
            "        module.q_proj.weight.copy_(wq)\n"
            "        module.k_proj.weight.copy_(wk)\n"
            "        module.v_proj.weight.copy_(wv)\n"
            "        module.out_proj.load_state_dict(reference.out_proj.state_dict())\n"
            "    return module\n"
        ),
        ("test_load_torch_weights_parameters", "test_load_torch_weights_output"),
        "cuts in_proj_weight along the input axis",
    ),
    Mutant(
        "load_v_and_q_swapped",
        "load_torch_weights",
        _load(
            "    wq, wk, wv = w.chunk(3)\n"
            "    bq, bk, bv = b.chunk(3)\n"
            "    with torch.no_grad():\n"
            "        module.q_proj.weight.copy_(wv)\n"
            "        module.k_proj.weight.copy_(wk)\n"
            "        module.v_proj.weight.copy_(wq)\n"
            "        module.q_proj.bias.copy_(bv)\n"
            "        module.k_proj.bias.copy_(bk)\n"
            "        module.v_proj.bias.copy_(bq)\n"
            "        module.out_proj.load_state_dict(reference.out_proj.state_dict())\n"
            "    return module\n"
        ),
        ("test_load_torch_weights_parameters", "test_load_torch_weights_output"),
        "unpacks the blocks as (v, k, q)",
    ),
    # ---- check your understanding -----------------------------------------------------------
    Mutant(
        "q1_number_of_heads",
        "understanding",
        "answer_1 = 8\n",
        ("test_understanding_q1",),
        "answers the number of heads instead of their size",
    ),
    Mutant(
        "q1_as_text",
        "understanding",
        "answer_1 = '64'\n",
        ("test_understanding_q1",),
        "writes the number as a string",
    ),
    Mutant(
        "q2_doubles",
        "understanding",
        "answer_2 = 'a'\n",
        ("test_understanding_q2",),
        "thinks each extra head brings its own full-size projections",
    ),
    Mutant(
        "q3_inverted",
        "understanding",
        "answer_3 = 0.25\n",
        ("test_understanding_q3",),
        "computes d / n instead of n / d",
    ),
    Mutant(
        "q4_reversed",
        "understanding",
        "answer_4 = 'a'\n",
        ("test_understanding_q4",),
        "swaps which layer is sequential",
    ),
    Mutant(
        "q5_nothing_wrong",
        "understanding",
        "answer_5 = 'a'\n",
        ("test_understanding_q5",),
        "trusts the shape",
    ),
]
