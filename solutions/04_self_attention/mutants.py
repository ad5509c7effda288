"""Common wrong answers to notebook 04; each must lose points on the test cell it names.

Each mutant carries only what replaces the solution region(s) of its cell, the lines
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (a tuple, one string per region, for a
cell with several); the harness splices it into the notebook's current cell, so the given
code is never copied here.

Run with ``python -m autograder mutants --assignment 04_self_attention``.
"""

from autograder.mutants import Mutant

# the __init__ region of the SelfAttention mutants
_SA_INIT = """
self.q_proj = nn.Linear(d_model, d_k, bias=False)
self.k_proj = nn.Linear(d_model, d_k, bias=False)
self.v_proj = nn.Linear(d_model, d_v, bias=False)
"""


MUTANTS = [
    # ---- scaled_dot_product_attention ------------------------------------------------------------
    Mutant(
        "sdpa_no_scale",
        "scaled_dot_product_attention",
        """
        s = q @ k.transpose(-2, -1)
        if mask is not None:
            s = s.masked_fill(~mask, float('-inf'))
        w = torch.softmax(s, dim=-1)
        return w @ v, w
        """,
        ("test_scaled_dot_product_attention_weights", "test_scaled_dot_product_attention_output"),
        "forgets to divide by sqrt(d_k)",
    ),
    Mutant(
        "sdpa_scale_by_d_k",
        "scaled_dot_product_attention",
        """
        s = q @ k.transpose(-2, -1) / q.size(-1)
        if mask is not None:
            s = s.masked_fill(~mask, float('-inf'))
        w = torch.softmax(s, dim=-1)
        return w @ v, w
        """,
        ("test_scaled_dot_product_attention_weights", "test_scaled_dot_product_attention_output"),
        "divides by d_k instead of sqrt(d_k)",
    ),
    Mutant(
        "sdpa_scale_from_d_v",
        "scaled_dot_product_attention",
        """
        s = q @ k.transpose(-2, -1) / math.sqrt(v.size(-1))
        if mask is not None:
            s = s.masked_fill(~mask, float('-inf'))
        w = torch.softmax(s, dim=-1)
        return w @ v, w
        """,
        ("test_scaled_dot_product_attention_weights", "test_scaled_dot_product_attention_output"),
        "takes the scale from the values' size d_v",
    ),
    Mutant(
        "sdpa_scale_from_length",
        "scaled_dot_product_attention",
        """
        s = q @ k.transpose(-2, -1) / math.sqrt(k.size(-2))
        if mask is not None:
            s = s.masked_fill(~mask, float('-inf'))
        w = torch.softmax(s, dim=-1)
        return w @ v, w
        """,
        ("test_scaled_dot_product_attention_weights",),
        "scales by sqrt of the number of keys instead of the key size",
    ),
    Mutant(
        "sdpa_softmax_over_queries",
        "scaled_dot_product_attention",
        """
        s = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        if mask is not None:
            s = s.masked_fill(~mask, float('-inf'))
        w = torch.softmax(s, dim=-2)
        return w @ v, w
        """,
        ("test_scaled_dot_product_attention_weights", "test_scaled_dot_product_attention_output"),
        "applies the softmax over the query axis",
    ),
    Mutant(
        "sdpa_returns_scores",
        "scaled_dot_product_attention",
        """
        s = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        if mask is not None:
            s = s.masked_fill(~mask, float('-inf'))
        return torch.softmax(s, dim=-1) @ v, s
        """,
        ("test_scaled_dot_product_attention_weights",),
        "returns the scaled scores instead of the weights",
    ),
    Mutant(
        "sdpa_k_dot_T",
        "scaled_dot_product_attention",
        """
        s = q @ k.T / math.sqrt(q.size(-1))
        if mask is not None:
            s = s.masked_fill(~mask, float('-inf'))
        w = torch.softmax(s, dim=-1)
        return w @ v, w
        """,
        ("test_scaled_dot_product_attention_shapes",),
        "uses k.T, which also reverses the batch dimensions",
    ),
    Mutant(
        "sdpa_mixes_keys",
        "scaled_dot_product_attention",
        """
        s = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        if mask is not None:
            s = s.masked_fill(~mask, float('-inf'))
        w = torch.softmax(s, dim=-1)
        return (w @ k)[..., : v.size(-1)], w
        """,
        ("test_scaled_dot_product_attention_output",),
        "mixes the keys instead of the values",
    ),
    Mutant(
        "sdpa_mask_ignored",
        "scaled_dot_product_attention",
        """
        s = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        w = torch.softmax(s, dim=-1)
        return w @ v, w
        """,
        ("test_scaled_dot_product_attention_mask",),
        "ignores the mask",
    ),
    Mutant(
        "sdpa_mask_inverted",
        "scaled_dot_product_attention",
        """
        s = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        if mask is not None:
            s = s.masked_fill(mask, float('-inf'))
        w = torch.softmax(s, dim=-1)
        return w @ v, w
        """,
        ("test_scaled_dot_product_attention_mask",),
        "reads True as 'hide' instead of 'attend'",
    ),
    Mutant(
        "sdpa_mask_after_softmax",
        "scaled_dot_product_attention",
        """
        s = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        w = torch.softmax(s, dim=-1)
        if mask is not None:
            w = w * mask
        return w @ v, w
        """,
        ("test_scaled_dot_product_attention_mask",),
        "zeroes masked weights after the softmax without renormalising",
    ),
    Mutant(
        "sdpa_mask_fills_zero",
        "scaled_dot_product_attention",
        """
        s = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        if mask is not None:
            s = s.masked_fill(~mask, 0.0)
        w = torch.softmax(s, dim=-1)
        return w @ v, w
        """,
        ("test_scaled_dot_product_attention_mask",),
        "sets masked scores to 0 instead of -inf: they still get weight",
    ),
    Mutant(
        "sdpa_calls_builtin",
        "scaled_dot_product_attention",
        """
        import torch.nn.functional as F
        S = k.size(-2)
        eye = torch.eye(S, dtype=q.dtype).expand(*k.shape[:-2], S, S)
        w = F.scaled_dot_product_attention(q, k, eye, attn_mask=mask)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask), w
        """,
        ("test_scaled_dot_product_attention_output",),
        "calls the built-in it is asked to write",
    ),
    Mutant(
        "sdpa_exp_by_hand",
        "scaled_dot_product_attention",
        """
        s = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        if mask is not None:
            s = s.masked_fill(~mask, float('-inf'))
        e = torch.exp(s)
        w = e / e.sum(dim=-1, keepdim=True)
        return w @ v, w
        """,
        ("test_scaled_dot_product_attention_weights",),
        "an unstable softmax by hand: overflows on large scores",
    ),
    # ---- causal_mask -----------------------------------------------------------------------------
    Mutant(
        "causal_strict_lower",
        "causal_mask",
        """
        return torch.tril(torch.ones(L, L, dtype=torch.bool), diagonal=-1)
        """,
        ("test_causal_mask_values", "test_causal_mask_blocks_the_future"),
        "off by one: drops the diagonal, so a token cannot see itself",
    ),
    Mutant(
        "causal_one_ahead",
        "causal_mask",
        """
        return torch.tril(torch.ones(L, L, dtype=torch.bool), diagonal=1)
        """,
        ("test_causal_mask_values", "test_causal_mask_blocks_the_future"),
        "off by one the other way: lets each token see the next one",
    ),
    Mutant(
        "causal_upper_triangle",
        "causal_mask",
        """
        return torch.triu(torch.ones(L, L, dtype=torch.bool))
        """,
        ("test_causal_mask_values", "test_causal_mask_blocks_the_future"),
        "transposed: the upper triangle lets tokens see only the future",
    ),
    Mutant(
        "causal_masked_positions",
        "causal_mask",
        """
        return torch.triu(torch.ones(L, L, dtype=torch.bool), diagonal=1)
        """,
        ("test_causal_mask_values",),
        "returns the positions to hide (True = masked) instead of those to keep",
    ),
    Mutant(
        "causal_float",
        "causal_mask",
        """
        return torch.tril(torch.ones(L, L))
        """,
        ("test_causal_mask_dtype",),
        "returns 1.0/0.0 floats instead of booleans",
    ),
    Mutant(
        "causal_additive",
        "causal_mask",
        """
        return torch.triu(torch.full((L, L), float('-inf')), diagonal=1)
        """,
        ("test_causal_mask_values", "test_causal_mask_dtype"),
        "returns an additive float mask (0 / -inf) instead of a boolean one",
    ),
    Mutant(
        "causal_all_true",
        "causal_mask",
        """
        return torch.ones(L, L, dtype=torch.bool)
        """,
        ("test_causal_mask_values", "test_causal_mask_blocks_the_future"),
        "masks nothing",
    ),
    Mutant(
        "causal_list",
        "causal_mask",
        """
        return [[j <= i for j in range(L)] for i in range(L)]
        """,
        ("test_causal_mask_dtype",),
        "returns nested Python lists instead of a tensor",
    ),
    # ---- SelfAttention ---------------------------------------------------------------------------
    Mutant(
        "sa_shared_query_key_projection",
        "SelfAttention",
        (
            """
            self.q_proj = nn.Linear(d_model, d_k, bias=False)
            self.k_proj = self.q_proj
            self.v_proj = nn.Linear(d_model, d_v, bias=False)
            """,
            """
            return scaled_dot_product_attention(
                self.q_proj(x), self.k_proj(x), self.v_proj(x), mask
            )
            """,
        ),
        ("test_self_attention_projections", "test_self_attention_values"),
        "one projection for both queries and keys",
    ),
    Mutant(
        "sa_keys_from_q_proj",
        "SelfAttention",
        (
            _SA_INIT,
            """
            q = self.q_proj(x)
            return scaled_dot_product_attention(q, q, self.v_proj(x), mask)
            """,
        ),
        ("test_self_attention_values",),
        "creates k_proj but scores queries against themselves",
    ),
    Mutant(
        "sa_no_value_projection",
        "SelfAttention",
        (
            """
            self.q_proj = nn.Linear(d_model, d_k, bias=False)
            self.k_proj = nn.Linear(d_model, d_k, bias=False)
            """,
            """
            return scaled_dot_product_attention(self.q_proj(x), self.k_proj(x), x, mask)
            """,
        ),
        ("test_self_attention_projections", "test_self_attention_shapes"),
        "no value projection: mixes the raw inputs",
    ),
    Mutant(
        "sa_raw_embeddings_score",
        "SelfAttention",
        (
            _SA_INIT,
            """
            return scaled_dot_product_attention(x, x, self.v_proj(x), mask)
            """,
        ),
        ("test_self_attention_values",),
        "scores the raw inputs against each other, skipping the query and key projections",
    ),
    Mutant(
        "sa_with_bias",
        "SelfAttention",
        (
            """
            self.q_proj = nn.Linear(d_model, d_k)
            self.k_proj = nn.Linear(d_model, d_k)
            self.v_proj = nn.Linear(d_model, d_v)
            """,
            """
            return scaled_dot_product_attention(
                self.q_proj(x), self.k_proj(x), self.v_proj(x), mask
            )
            """,
        ),
        ("test_self_attention_projections", "test_self_attention_values"),
        "keeps nn.Linear's default bias",
    ),
    Mutant(
        "sa_scale_by_d_model",
        "SelfAttention",
        (
            _SA_INIT,
            """
            import math
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
            s = q @ k.transpose(-2, -1) / math.sqrt(x.size(-1))
            if mask is not None:
                s = s.masked_fill(~mask, float('-inf'))
            w = torch.softmax(s, dim=-1)
            return w @ v, w
            """,
        ),
        ("test_self_attention_values",),
        "writes attention inline and scales by sqrt(d_model) instead of sqrt(d_k)",
    ),
    Mutant(
        "sa_swapped_key_value",
        "SelfAttention",
        (
            _SA_INIT,
            """
            q, k, v = self.q_proj(x), self.v_proj(x), self.k_proj(x)
            return scaled_dot_product_attention(q, k, v, mask)
            """,
        ),
        ("test_self_attention_shapes", "test_self_attention_values"),
        "swaps the key and value projections",
    ),
    Mutant(
        "sa_mask_ignored",
        "SelfAttention",
        (
            _SA_INIT,
            """
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
            return scaled_dot_product_attention(q, k, v)
            """,
        ),
        ("test_self_attention_mask",),
        "forgets to pass the mask on",
    ),
    Mutant(
        "sa_output_only",
        "SelfAttention",
        (
            _SA_INIT,
            """
            out, _ = scaled_dot_product_attention(
                self.q_proj(x), self.k_proj(x), self.v_proj(x), mask
            )
            return out
            """,
        ),
        ("test_self_attention_shapes",),
        "returns only the output, not (output, weights)",
    ),
    Mutant(
        "sa_raw_parameters",
        "SelfAttention",
        (
            """
            self.W_q = nn.Parameter(torch.randn(d_model, d_k))
            self.W_k = nn.Parameter(torch.randn(d_model, d_k))
            self.W_v = nn.Parameter(torch.randn(d_model, d_v))
            """,
            """
            q, k, v = x @ self.W_q, x @ self.W_k, x @ self.W_v
            return scaled_dot_product_attention(q, k, v, mask)
            """,
        ),
        ("test_self_attention_projections",),
        "raw weight matrices with other names instead of the nn.Linear contract",
    ),
    # ---- understanding ---------------------------------------------------------------------------
    Mutant(
        "q1_standard_deviation",
        "understanding",
        """
        answer_1 = 8
        answer_2 = "c"
        answer_3 = 15
        answer_4 = "b"
        """,
        ("test_understanding_q1",),
        "gives the standard deviation sqrt(d_k) instead of the variance",
    ),
    Mutant(
        "q1_one",
        "understanding",
        """
        answer_1 = 1
        answer_2 = "c"
        answer_3 = 15
        answer_4 = "b"
        """,
        ("test_understanding_q1",),
        "gives the variance after scaling",
    ),
    Mutant(
        "q2_scale_invariant",
        "understanding",
        """
        answer_1 = 64
        answer_2 = 'd'
        answer_3 = 15
        answer_4 = "b"
        """,
        ("test_understanding_q2",),
        "thinks the softmax ignores the scale of its input (it ignores shifts, not scales)",
    ),
    Mutant(
        "q2_uniform",
        "understanding",
        """
        answer_1 = 64
        answer_2 = 'a'
        answer_3 = 15
        answer_4 = "b"
        """,
        ("test_understanding_q2",),
        "thinks large scores flatten the weights",
    ),
    Mutant(
        "q3_strict",
        "understanding",
        """
        answer_1 = 64
        answer_2 = "c"
        answer_3 = 10
        answer_4 = "b"
        """,
        ("test_understanding_q3",),
        "forgets the diagonal",
    ),
    Mutant(
        "q3_all",
        "understanding",
        """
        answer_1 = 64
        answer_2 = "c"
        answer_3 = 25
        answer_4 = "b"
        """,
        ("test_understanding_q3",),
        "counts every entry",
    ),
    Mutant(
        "q4_unchanged",
        "understanding",
        """
        answer_1 = 64
        answer_2 = "c"
        answer_3 = 15
        answer_4 = 'a'
        """,
        ("test_understanding_q4",),
        "thinks the output does not depend on the order at all",
    ),
    Mutant(
        "q4_not_a_letter",
        "understanding",
        """
        answer_1 = 64
        answer_2 = "c"
        answer_3 = 15
        answer_4 = 'the rows swap'
        """,
        ("test_understanding_q4",),
        "answers in words instead of a letter",
    ),
    # ---- fresh_score_prediction -----------------------------------------------------------------
    Mutant(
        "fs_unit_variance",
        "fresh_score_prediction",
        """
        prediction_fresh_score_variance = 64
        """,
        ("test_fresh_score_prediction",),
        "keeps the footnote's unit variance: ignores the initialisation",
    ),
    Mutant(
        "fs_one_third_once",
        "fresh_score_prediction",
        """
        prediction_fresh_score_variance = 64 / 3
        """,
        ("test_fresh_score_prediction",),
        "applies the 1/3 of the queries but not that of the keys",
    ),
    Mutant(
        "fs_standard_deviation",
        "fresh_score_prediction",
        """
        prediction_fresh_score_variance = 8 / 3
        """,
        ("test_fresh_score_prediction",),
        "gives the standard deviation sqrt(64/9), not the variance",
    ),
    Mutant(
        "fs_query_variance",
        "fresh_score_prediction",
        """
        prediction_fresh_score_variance = 1 / 3
        """,
        ("test_fresh_score_prediction",),
        "gives the variance of one query component, not of the score",
    ),
    Mutant(
        "fs_weight_variance_per_term",
        "fresh_score_prediction",
        """
        prediction_fresh_score_variance = 64 / (3 * 64) ** 2
        """,
        ("test_fresh_score_prediction",),
        "multiplies the weight variances instead of summing the terms",
    ),
    Mutant(
        "fs_normalised",
        "fresh_score_prediction",
        """
        prediction_fresh_score_variance = 1
        """,
        ("test_fresh_score_prediction",),
        "thinks a fresh layer keeps every variance at 1",
    ),
]
