"""Correct answers to notebook 04 in other styles; each must keep full marks.

Each equivalent carries only what replaces the solution region(s) of its cell (the format of
``autograder/mutants.py``).

Run with ``python -m autograder mutants --assignment 04_self_attention``.
"""

from autograder.mutants import Equivalent

EQUIVALENTS = [
    # ---- scaled_dot_product_attention -------------------------------------------------------
    Equivalent(
        "sdpa_einsum",
        "scaled_dot_product_attention",
        """
        scores = torch.einsum("...ld,...sd->...ls", q, k) / q.shape[-1] ** 0.5
        if mask is not None:
            scores = scores.masked_fill(mask.logical_not(), float("-inf"))
        weights = scores.softmax(dim=-1)
        return torch.einsum("...ls,...sv->...lv", weights, v), weights
        """,
        "einsum",
    ),
    Equivalent(
        "sdpa_annotated_transformer",
        "scaled_dot_product_attention",
        """
        # the Annotated Transformer's attention(): scale the scores, fill with -1e9
        d_k = q.size(-1)
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(d_k)
        if mask is not None:
            scores = scores.masked_fill(mask == 0, -1e9)
        p_attn = scores.softmax(dim=-1)
        return torch.matmul(p_attn, v), p_attn
        """,
        "the Annotated Transformer: -1e9 mask",
    ),
    Equivalent(
        "sdpa_scale_queries_additive_mask",
        "scaled_dot_product_attention",
        """
        scores = (q / math.sqrt(q.shape[-1])) @ k.mT  # scale the queries first
        if mask is not None:
            bias = torch.zeros(mask.shape, dtype=scores.dtype, device=scores.device)
            scores = scores + bias.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return weights @ v, weights
        """,
        "queries scaled first, additive float mask",
    ),
    # ---- causal_mask ------------------------------------------------------------------------
    Equivalent(
        "causal_arange_compare",
        "causal_mask",
        """
        i = torch.arange(L)
        return i[:, None] >= i[None, :]  # key j <= query i
        """,
        "comparison of positions",
    ),
    Equivalent(
        "causal_not_triu",
        "causal_mask",
        """
        return ~torch.triu(torch.ones(L, L, dtype=torch.bool), diagonal=1)
        """,
        "the complement of PyTorch's forbidden upper triangle",
    ),
    Equivalent(
        "causal_float_tril",
        "causal_mask",
        """
        return torch.ones(L, L).tril() == 1
        """,
        "float tril compared to 1",
    ),
    # ---- SelfAttention ----------------------------------------------------------------------
    Equivalent(
        "sa_inline_attention",
        "SelfAttention",
        (
            """
            self.q_proj = nn.Linear(d_model, d_k, bias=False)
            self.k_proj = nn.Linear(d_model, d_k, bias=False)
            self.v_proj = nn.Linear(d_model, d_v, bias=False)
            """,
            """
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
            scores = q @ k.transpose(-2, -1) / math.sqrt(k.shape[-1])
            if mask is not None:
                scores = scores.masked_fill(~mask, float("-inf"))
            weights = torch.softmax(scores, dim=-1)
            return weights @ v, weights
            """,
        ),
        "attention written inline",
    ),
    Equivalent(
        "sa_einsum_with_stored_sizes",
        "SelfAttention",
        (
            """
            self.d_k = d_k
            self.q_proj, self.k_proj, self.v_proj = (
                nn.Linear(d_model, size, bias=False) for size in (d_k, d_k, d_v)
            )
            """,
            """
            q = self.q_proj(x)
            k = self.k_proj(x)
            scores = torch.einsum("...id,...jd->...ij", q, k) / self.d_k**0.5
            if mask is not None:
                scores = scores.masked_fill(mask == 0, -1e9)
            weights = F.softmax(scores, dim=-1)
            return torch.einsum("...ij,...jv->...iv", weights, self.v_proj(x)), weights
            """,
        ),
        "einsum, a stored d_k, a -1e9 mask",
    ),
    Equivalent(
        "sa_functional_linear",
        "SelfAttention",
        (
            """
            for name, size in (("q_proj", d_k), ("k_proj", d_k), ("v_proj", d_v)):
                setattr(self, name, nn.Linear(d_model, size, bias=False))
            """,
            """
            q = F.linear(x, self.q_proj.weight)
            k = F.linear(x, self.k_proj.weight)
            v = F.linear(x, self.v_proj.weight)
            out, weights = scaled_dot_product_attention(q, k, v, mask=mask)
            return out, weights
            """,
        ),
        "setattr in a loop, F.linear with the modules' weights",
    ),
    # ---- understanding ----------------------------------------------------------------------
    Equivalent(
        "quiz_numpy_scalars",
        "understanding",
        """
        answer_1 = np.int64(64)
        answer_2 = "c"
        answer_3 = np.int64(15)
        answer_4 = "b"
        """,
        "numpy scalars",
    ),
    Equivalent(
        "quiz_expressions",
        "understanding",
        """
        answer_1 = 8**2
        answer_2 = "c"
        answer_3 = sum(range(1, 6))
        answer_4 = "b"
        """,
        "expressions",
    ),
    Equivalent(
        "quiz_floats",
        "understanding",
        """
        answer_1 = 64.0
        answer_2 = "c"
        answer_3 = 15.0
        answer_4 = "b"
        """,
        "floats",
    ),
    # ---- fresh_score_prediction -------------------------------------------------------------
    Equivalent(
        "fs_rounded_int",
        "fresh_score_prediction",
        """
        prediction_fresh_score_variance = 7
        """,
        "rounded to an int",
    ),
    Equivalent(
        "fs_numpy_float32",
        "fresh_score_prediction",
        """
        prediction_fresh_score_variance = np.float32(7.1)
        """,
        "a numpy float32",
    ),
    Equivalent(
        "fs_step_by_step",
        "fresh_score_prediction",
        """
        prediction_fresh_score_variance = 64 * (64 * 1 / (3 * 64)) ** 2
        """,
        "the two steps of the hint in one expression",
    ),
    Equivalent(
        "fs_tensor_item",
        "fresh_score_prediction",
        """
        prediction_fresh_score_variance = torch.tensor(64.0 / 9).item()
        """,
        "a torch scalar's .item()",
    ),
]
