"""Common wrong answers to notebook 07; each must lose points on the test cell it names.

Each mutant carries only what replaces the solution region(s) of its cell, the lines
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (a tuple, one string per region, for a
cell with several); the harness splices it into the notebook's current cell, so the given
code is never copied here.

Run with ``python -m autograder mutants --assignment 07_gpt``.
"""

from autograder.mutants import Mutant

MUTANTS = [
    # ---- CausalSelfAttention ---------------------------------------------------------------------
    Mutant(
        "csa_mask_excludes_diagonal",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        mask = torch.ones(T, T, dtype=torch.bool).tril(diagonal=-1)
        scores = scores.masked_fill(~mask, float('-inf'))
        y = torch.softmax(scores, dim=-1) @ v
        y = y.transpose(1, 2).reshape(B, T, D)
        return self.proj(y)
        """,
        ("test_causal_self_attention_causal", "test_causal_self_attention_matches_torch"),
        "masks the diagonal too: a position may not attend to itself (position 0: all -inf, nan)",
    ),
    Mutant(
        "csa_mask_lets_one_future_token_in",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        mask = torch.ones(T, T, dtype=torch.bool).tril(diagonal=1)
        scores = scores.masked_fill(~mask, float('-inf'))
        y = torch.softmax(scores, dim=-1) @ v
        y = y.transpose(1, 2).reshape(B, T, D)
        return self.proj(y)
        """,
        ("test_causal_self_attention_causal", "test_causal_self_attention_matches_torch"),
        "off by one the other way: position t also sees t + 1",
    ),
    Mutant(
        "csa_mask_upper_triangle",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        mask = torch.ones(T, T, dtype=torch.bool).triu()
        scores = scores.masked_fill(~mask, float('-inf'))
        y = torch.softmax(scores, dim=-1) @ v
        y = y.transpose(1, 2).reshape(B, T, D)
        return self.proj(y)
        """,
        ("test_causal_self_attention_causal", "test_causal_self_attention_matches_torch"),
        "keeps the upper triangle: every position attends to the future instead of the past",
    ),
    Mutant(
        "csa_no_mask",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        mask = torch.ones(T, T, dtype=torch.bool)
        scores = scores.masked_fill(~mask, float('-inf'))
        y = torch.softmax(scores, dim=-1) @ v
        y = y.transpose(1, 2).reshape(B, T, D)
        return self.proj(y)
        """,
        ("test_causal_self_attention_causal", "test_causal_self_attention_matches_torch"),
        "forgets the causal mask",
    ),
    Mutant(
        "csa_no_scaling",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        scores = scores.masked_fill(~mask, float('-inf'))
        y = torch.softmax(scores, dim=-1) @ v
        y = y.transpose(1, 2).reshape(B, T, D)
        return self.proj(y)
        """,
        ("test_causal_self_attention_matches_torch",),
        "forgets the 1/sqrt(d_head) scale",
    ),
    Mutant(
        "csa_scale_by_d_model",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(D)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        scores = scores.masked_fill(~mask, float('-inf'))
        y = torch.softmax(scores, dim=-1) @ v
        y = y.transpose(1, 2).reshape(B, T, D)
        return self.proj(y)
        """,
        ("test_causal_self_attention_matches_torch",),
        "scales by sqrt(d_model) instead of sqrt(d_head)",
    ),
    Mutant(
        "csa_softmax_over_queries",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        scores = scores.masked_fill(~mask, float('-inf'))
        y = torch.softmax(scores, dim=-2) @ v
        y = y.transpose(1, 2).reshape(B, T, D)
        return self.proj(y)
        """,
        ("test_causal_self_attention_causal", "test_causal_self_attention_matches_torch"),
        "takes the softmax over the queries (dim=-2) instead of the keys",
    ),
    Mutant(
        "csa_heads_by_reshape_without_transpose",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, v = self.qkv(x).split(D, dim=-1)
        q, k, v = (t.reshape(B, h, T, dh) for t in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        scores = scores.masked_fill(~mask, float('-inf'))
        y = torch.softmax(scores, dim=-1) @ v
        return self.proj(y.reshape(B, T, D))
        """,
        ("test_causal_self_attention_matches_torch",),
        "splits and merges the heads by reshape alone: right shapes, tokens mixed up",
    ),
    Mutant(
        "csa_merge_without_transpose",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        scores = scores.masked_fill(~mask, float('-inf'))
        y = torch.softmax(scores, dim=-1) @ v
        return self.proj(y.reshape(B, T, D))
        """,
        ("test_causal_self_attention_matches_torch",),
        "merges (B, h, T, d_head) straight to (B, T, D)",
    ),
    Mutant(
        "csa_mask_after_softmax",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        y = (torch.softmax(scores, dim=-1) * mask) @ v
        y = y.transpose(1, 2).reshape(B, T, D)
        return self.proj(y)
        """,
        ("test_causal_self_attention_causal", "test_causal_self_attention_matches_torch"),
        "zeroes the future weights after the softmax: rows no longer sum to 1",
    ),
    Mutant(
        "csa_masks_with_zero",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        scores = scores.masked_fill(~mask, 0.0)
        y = torch.softmax(scores, dim=-1) @ v
        y = y.transpose(1, 2).reshape(B, T, D)
        return self.proj(y)
        """,
        ("test_causal_self_attention_causal", "test_causal_self_attention_matches_torch"),
        "sets future scores to 0 instead of -inf: they still get weight",
    ),
    Mutant(
        "csa_q_and_k_chunks_swapped",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        k, q, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        scores = scores.masked_fill(~mask, float('-inf'))
        y = torch.softmax(scores, dim=-1) @ v
        y = y.transpose(1, 2).reshape(B, T, D)
        return self.proj(y)
        """,
        ("test_causal_self_attention_matches_torch",),
        "reads the keys from the first chunk and the queries from the second",
    ),
    Mutant(
        "csa_values_from_key_chunk",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, _ = self.qkv(x).split(D, dim=-1)
        v = k
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        scores = scores.masked_fill(~mask, float('-inf'))
        y = torch.softmax(scores, dim=-1) @ v
        y = y.transpose(1, 2).reshape(B, T, D)
        return self.proj(y)
        """,
        ("test_causal_self_attention_causal", "test_causal_self_attention_matches_torch"),
        "uses the keys as values",
    ),
    Mutant(
        "csa_no_output_projection",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        scores = scores.masked_fill(~mask, float('-inf'))
        y = torch.softmax(scores, dim=-1) @ v
        return y.transpose(1, 2).reshape(B, T, D)
        """,
        ("test_causal_self_attention_causal", "test_causal_self_attention_matches_torch"),
        "forgets the output projection",
    ),
    Mutant(
        "csa_uses_builtin_attention",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        y = y.transpose(1, 2).reshape(B, T, D)
        return self.proj(y)
        """,
        ("test_causal_self_attention_from_scratch",),
        "calls F.scaled_dot_product_attention instead of writing the attention",
    ),
    Mutant(
        "csa_float_mask",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, dh = self.num_heads, self.d_head
        q, k, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        mask = torch.ones(T, T).tril()
        scores = scores.masked_fill(~mask, float('-inf'))
        y = torch.softmax(scores, dim=-1) @ v
        y = y.transpose(1, 2).reshape(B, T, D)
        return self.proj(y)
        """,
        ("test_causal_self_attention_shape",),
        "builds a float mask, so ~mask fails (bitwise not of a float tensor)",
    ),
    # ---- top_k_logits ----------------------------------------------------------------------------
    Mutant(
        "topk_keeps_k_plus_1",
        "top_k_logits",
        """
        if k < 1:
            raise ValueError('k must be at least 1')
        if k >= logits.shape[-1]:
            return logits
        kth = torch.topk(logits, min(k + 1, logits.shape[-1]), dim=-1).values[..., -1:]
        return logits.masked_fill(logits < kth, float('-inf'))
        """,
        ("test_top_k_logits_values",),
        "off by one: keeps k + 1 values",
    ),
    Mutant(
        "topk_keeps_k_minus_1",
        "top_k_logits",
        """
        if k < 1:
            raise ValueError('k must be at least 1')
        if k >= logits.shape[-1]:
            return logits
        kth = torch.topk(logits, k, dim=-1).values[..., -1:]
        return logits.masked_fill(logits <= kth, float('-inf'))
        """,
        ("test_top_k_logits_values", "test_top_k_logits_edge_cases"),
        "drops the k-th value itself (<= instead of <)",
    ),
    Mutant(
        "topk_fills_zeros",
        "top_k_logits",
        """
        if k < 1:
            raise ValueError('k must be at least 1')
        if k >= logits.shape[-1]:
            return logits
        kth = torch.topk(logits, k, dim=-1).values[..., -1:]
        return logits.masked_fill(logits < kth, 0.0)
        """,
        ("test_top_k_logits_values", "test_top_k_logits_edge_cases"),
        "sets the filtered logits to 0 instead of -inf: they keep probability",
    ),
    Mutant(
        "topk_keeps_smallest",
        "top_k_logits",
        """
        if k < 1:
            raise ValueError('k must be at least 1')
        if k >= logits.shape[-1]:
            return logits
        kth = torch.topk(logits, k, dim=-1, largest=False).values[..., -1:]
        return logits.masked_fill(logits > kth, float('-inf'))
        """,
        ("test_top_k_logits_values", "test_top_k_logits_edge_cases"),
        "keeps the k smallest logits",
    ),
    Mutant(
        "topk_global_not_per_row",
        "top_k_logits",
        """
        if k < 1:
            raise ValueError('k must be at least 1')
        if k >= logits.shape[-1]:
            return logits
        kth = torch.topk(logits.flatten(), k).values[-1]
        return logits.masked_fill(logits < kth, float('-inf'))
        """,
        ("test_top_k_logits_values",),
        "keeps the k largest values of the whole tensor instead of each row",
    ),
    Mutant(
        "topk_modifies_input",
        "top_k_logits",
        """
        if k < 1:
            raise ValueError('k must be at least 1')
        if k >= logits.shape[-1]:
            return logits
        kth = torch.topk(logits, k, dim=-1).values[..., -1:]
        logits[logits < kth] = float('-inf')
        return logits
        """,
        ("test_top_k_logits_edge_cases",),
        "writes -inf into the caller's tensor",
    ),
    Mutant(
        "topk_exactly_k_breaks_ties",
        "top_k_logits",
        """
        if k < 1:
            raise ValueError('k must be at least 1')
        if k >= logits.shape[-1]:
            return logits
        top = torch.topk(logits, k, dim=-1)
        return torch.full_like(logits, float('-inf')).scatter(-1, top.indices, top.values)
        """,
        ("test_top_k_logits_edge_cases",),
        "keeps exactly k values, dropping ties at the k-th place",
    ),
    Mutant(
        "topk_k_at_least_v_crashes",
        "top_k_logits",
        """
        if k < 1:
            raise ValueError('k must be at least 1')
        kth = torch.topk(logits, k, dim=-1).values[..., -1:]
        return logits.masked_fill(logits < kth, float('-inf'))
        """,
        ("test_top_k_logits_edge_cases",),
        "forgets the case k >= V (torch.topk raises)",
    ),
    Mutant(
        "topk_no_value_error",
        "top_k_logits",
        """
        if k < 1 or k >= logits.shape[-1]:
            return logits
        kth = torch.topk(logits, k, dim=-1).values[..., -1:]
        return logits.masked_fill(logits < kth, float('-inf'))
        """,
        ("test_top_k_logits_edge_cases",),
        "returns the logits unchanged for k < 1 instead of raising",
    ),
    # ---- generate --------------------------------------------------------------------------------
    Mutant(
        "gen_temperature_multiplied",
        "generate",
        """
        start = idx.shape[1]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                context = idx[:, -model.block_size:]
                logits = model(context)[:, -1, :] * temperature
                logits = top_k_logits(logits, top_k) if top_k is not None else logits
                next_token = torch.multinomial(torch.softmax(logits, dim=-1), num_samples=1)
                idx = torch.cat([idx, next_token], dim=1)
        return idx
        """,
        ("test_generate_greedy", "test_generate_sampling"),
        "multiplies the logits by the temperature",
    ),
    Mutant(
        "gen_temperature_after_softmax",
        "generate",
        """
        start = idx.shape[1]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                context = idx[:, -model.block_size:]
                logits = model(context)[:, -1, :]
                logits = top_k_logits(logits, top_k) if top_k is not None else logits
                next_token = torch.multinomial(torch.softmax(logits, dim=-1) / temperature, 1)
                idx = torch.cat([idx, next_token], dim=1)
        return idx
        """,
        ("test_generate_sampling",),
        "applies the temperature to the probabilities, where multinomial renormalises it away",
    ),
    Mutant(
        "gen_argmax",
        "generate",
        """
        start = idx.shape[1]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                context = idx[:, -model.block_size:]
                logits = model(context)[:, -1, :] / temperature
                logits = top_k_logits(logits, top_k) if top_k is not None else logits
                next_token = logits.argmax(dim=-1, keepdim=True)
                idx = torch.cat([idx, next_token], dim=1)
        return idx
        """,
        ("test_generate_sampling",),
        "always takes the most likely token instead of sampling",
    ),
    Mutant(
        "gen_no_crop",
        "generate",
        """
        start = idx.shape[1]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                context = idx
                logits = model(context)[:, -1, :] / temperature
                logits = top_k_logits(logits, top_k) if top_k is not None else logits
                next_token = torch.multinomial(torch.softmax(logits, dim=-1), num_samples=1)
                idx = torch.cat([idx, next_token], dim=1)
        return idx
        """,
        ("test_generate_context",),
        "feeds the whole sequence, longer than block_size",
    ),
    Mutant(
        "gen_crop_keeps_the_start",
        "generate",
        """
        start = idx.shape[1]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                context = idx[:, :model.block_size]
                logits = model(context)[:, -1, :] / temperature
                logits = top_k_logits(logits, top_k) if top_k is not None else logits
                next_token = torch.multinomial(torch.softmax(logits, dim=-1), num_samples=1)
                idx = torch.cat([idx, next_token], dim=1)
        return idx
        """,
        ("test_generate_greedy", "test_generate_context"),
        "keeps the first block_size tokens instead of the last",
    ),
    Mutant(
        "gen_first_position_logits",
        "generate",
        """
        start = idx.shape[1]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                context = idx[:, -model.block_size:]
                logits = model(context)[:, 0, :] / temperature
                logits = top_k_logits(logits, top_k) if top_k is not None else logits
                next_token = torch.multinomial(torch.softmax(logits, dim=-1), num_samples=1)
                idx = torch.cat([idx, next_token], dim=1)
        return idx
        """,
        ("test_generate_greedy",),
        "predicts from the first position's logits instead of the last",
    ),
    Mutant(
        "gen_top_k_ignored",
        "generate",
        """
        start = idx.shape[1]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                context = idx[:, -model.block_size:]
                logits = model(context)[:, -1, :] / temperature
                logits = logits
                next_token = torch.multinomial(torch.softmax(logits, dim=-1), num_samples=1)
                idx = torch.cat([idx, next_token], dim=1)
        return idx
        """,
        ("test_generate_greedy", "test_generate_sampling"),
        "never applies top_k",
    ),
    Mutant(
        "gen_returns_new_tokens_only",
        "generate",
        """
        start = idx.shape[1]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                context = idx[:, -model.block_size:]
                logits = model(context)[:, -1, :] / temperature
                logits = top_k_logits(logits, top_k) if top_k is not None else logits
                next_token = torch.multinomial(torch.softmax(logits, dim=-1), num_samples=1)
                idx = torch.cat([idx, next_token], dim=1)
        return idx[:, start:]
        """,
        ("test_generate_shape",),
        "returns the sampled tokens without the prompt",
    ),
    Mutant(
        "gen_builds_graph",
        "generate",
        """
        start = idx.shape[1]
        with torch.enable_grad():
            for _ in range(max_new_tokens):
                context = idx[:, -model.block_size:]
                logits = model(context)[:, -1, :] / temperature
                logits = top_k_logits(logits, top_k) if top_k is not None else logits
                next_token = torch.multinomial(torch.softmax(logits, dim=-1), num_samples=1)
                idx = torch.cat([idx, next_token], dim=1)
        return idx
        """,
        ("test_generate_shape",),
        "forgets torch.no_grad(): every step records a graph",
    ),
    Mutant(
        "gen_one_token_per_sequence",
        "generate",
        """
    start = idx.shape[1]
    with torch.no_grad():
        for _ in range(max_new_tokens):
            context = idx[:, -model.block_size:]
            logits = model(context)[:, -1, :] / temperature
            logits = top_k_logits(logits, top_k) if top_k is not None else logits
            next_token = torch.multinomial(torch.softmax(logits, dim=-1), 1)[:1].expand(len(idx), 1)
            idx = torch.cat([idx, next_token], dim=1)
    return idx
        """,
        ("test_generate_sampling",),
        "draws one token and gives it to every sequence of the batch",
    ),
    # ---- train_step ------------------------------------------------------------------------------
    Mutant(
        "step_no_zero_grad",
        "train_step",
        """
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        return loss.item()
        """,
        ("test_train_step_update",),
        "forgets zero_grad: gradients accumulate over steps",
    ),
    Mutant(
        "step_zero_grad_after_backward",
        "train_step",
        """
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        optimizer.zero_grad()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        return loss.item()
        """,
        ("test_train_step_update", "test_train_step_clips"),
        "clears the gradients after backward, so the step uses none",
    ),
    Mutant(
        "step_clip_after_step",
        "train_step",
        """
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        optimizer.step()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        return loss.item()
        """,
        ("test_train_step_clips",),
        "clips after the optimizer has already used the gradient",
    ),
    Mutant(
        "step_no_clipping",
        "train_step",
        """
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        optimizer.step()
        return loss.item()
        """,
        ("test_train_step_clips",),
        "never clips",
    ),
    Mutant(
        "step_clip_by_value",
        "train_step",
        """
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_value_(model.parameters(), clip)
        optimizer.step()
        return loss.item()
        """,
        ("test_train_step_clips",),
        "clips each gradient entry instead of the total norm",
    ),
    Mutant(
        "step_clip_each_parameter",
        "train_step",
        """
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        for p in model.parameters():
            torch.nn.utils.clip_grad_norm_(p, clip)
        optimizer.step()
        return loss.item()
        """,
        ("test_train_step_clips",),
        "clips every parameter's gradient on its own instead of the total norm",
    ),
    Mutant(
        "step_sum_loss",
        "train_step",
        """
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction='sum')
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        return loss.item()
        """,
        ("test_train_step_loss",),
        "sums the loss over the positions instead of averaging",
    ),
    Mutant(
        "step_targets_transposed",
        "train_step",
        """
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.T.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        return loss.item()
        """,
        ("test_train_step_loss", "test_train_step_update"),
        "flattens the targets in another order than the logits: predictions meet wrong targets",
    ),
    Mutant(
        "step_returns_tensor",
        "train_step",
        """
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        return loss
        """,
        ("test_train_step_loss",),
        "returns the loss tensor (and its graph) instead of a float",
    ),
    Mutant(
        "step_steps_twice",
        "train_step",
        """
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        optimizer.step()
        return loss.item()
        """,
        ("test_train_step_update", "test_train_step_clips"),
        "calls optimizer.step() twice",
    ),
    Mutant(
        "step_loss_after_update",
        "train_step",
        """
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        with torch.no_grad():
            after = model(x)
            return F.cross_entropy(after.flatten(0, 1), y.flatten()).item()
        """,
        ("test_train_step_loss",),
        "reports the loss after the update instead of the one it stepped on",
    ),
    # ---- understanding ---------------------------------------------------------------------------
    Mutant(
        "q1_bits",
        "understanding",
        """
        answer_1 = 6.58
        answer_2 = 21
        answer_3 = "c"
        answer_4 = "d"
        answer_5 = "a"
        answer_6 = "d"
        """,
        ("test_understanding_q1",),
        "uses log base 2 (bits) instead of nats",
    ),
    Mutant(
        "q1_probability",
        "understanding",
        """
        answer_1 = 1 / 96
        answer_2 = 21
        answer_3 = "c"
        answer_4 = "d"
        answer_5 = "a"
        answer_6 = "d"
        """,
        ("test_understanding_q1",),
        "gives the probability instead of the loss",
    ),
    Mutant(
        "q2_diagonal_excluded",
        "understanding",
        """
        answer_1 = 4.56
        answer_2 = 15
        answer_3 = "c"
        answer_4 = "d"
        answer_5 = "a"
        answer_6 = "d"
        """,
        ("test_understanding_q2",),
        "forgets that a position attends to itself",
    ),
    Mutant(
        "q2_all_pairs",
        "understanding",
        """
        answer_1 = 4.56
        answer_2 = 36
        answer_3 = "c"
        answer_4 = "d"
        answer_5 = "a"
        answer_6 = "d"
        """,
        ("test_understanding_q2",),
        "counts every pair, as without a mask",
    ),
    Mutant(
        "q3_temperature_one",
        "understanding",
        """
        answer_1 = 4.56
        answer_2 = 21
        answer_3 = 'a'
        answer_4 = "d"
        answer_5 = "a"
        answer_6 = "d"
        """,
        ("test_understanding_q3",),
        "confuses top_k=1 with temperature 1",
    ),
    Mutant(
        "q4_greedy",
        "understanding",
        """
        answer_1 = 4.56
        answer_2 = 21
        answer_3 = "c"
        answer_4 = 'a'
        answer_5 = "a"
        answer_6 = "d"
        """,
        ("test_understanding_q4",),
        "has the direction of the temperature backwards",
    ),
    Mutant(
        "q5_both_quadratic",
        "understanding",
        """
        answer_1 = 4.56
        answer_2 = 21
        answer_3 = "c"
        answer_4 = "d"
        answer_5 = 'c'
        answer_6 = "d"
        """,
        ("test_understanding_q5",),
        "thinks the fused kernel stores the T x T matrix too",
    ),
    Mutant(
        "q6_cache_rebuilt",
        "understanding",
        """
        answer_1 = 4.56
        answer_2 = 21
        answer_3 = "c"
        answer_4 = "d"
        answer_5 = "a"
        answer_6 = "a"
        """,
        ("test_understanding_q6",),
        "thinks the cache is rebuilt at every step (then it would save nothing)",
    ),
    # ---- cached_attention ------------------------------------------------------------------------
    Mutant(
        "ca_concat_on_heads_axis",
        "cached_attention",
        """
        B, Tn, D = x.shape
        q, k, v = (t.view(B, Tn, attn.num_heads, attn.d_head).transpose(1, 2)
                   for t in attn.qkv(x).split(D, dim=-1))
        if past is not None:
            k = torch.cat([past[0], k], dim=1)
            v = torch.cat([past[1], v], dim=1)
        Tk = k.shape[2]
        allowed = torch.ones(Tn, Tk, dtype=torch.bool).tril(Tk - Tn)
        scores = q @ k.transpose(-2, -1) / math.sqrt(attn.d_head)
        scores = scores.masked_fill(~allowed, float("-inf"))
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, Tn, D)
        return attn.proj(y), (k, v)
        """,
        ("test_cached_attention_cache", "test_cached_attention_steps"),
        "concatenates the cache along the heads axis (dim=1) instead of time (dim=2)",
    ),
    Mutant(
        "ca_returns_old_cache",
        "cached_attention",
        """
        B, Tn, D = x.shape
        q, k_new, v_new = (t.view(B, Tn, attn.num_heads, attn.d_head).transpose(1, 2)
                           for t in attn.qkv(x).split(D, dim=-1))
        k, v = k_new, v_new
        if past is not None:
            k = torch.cat([past[0], k_new], dim=2)
            v = torch.cat([past[1], v_new], dim=2)
        Tk = k.shape[2]
        allowed = torch.ones(Tn, Tk, dtype=torch.bool).tril(Tk - Tn)
        scores = q @ k.transpose(-2, -1) / math.sqrt(attn.d_head)
        scores = scores.masked_fill(~allowed, float("-inf"))
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, Tn, D)
        return attn.proj(y), (past if past is not None else (k_new, v_new))
        """,
        ("test_cached_attention_cache", "test_cached_attention_steps"),
        "returns the cache it was given: it never grows past the prompt",
    ),
    Mutant(
        "ca_mask_not_shifted",
        "cached_attention",
        """
        B, Tn, D = x.shape
        q, k, v = (t.view(B, Tn, attn.num_heads, attn.d_head).transpose(1, 2)
                   for t in attn.qkv(x).split(D, dim=-1))
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        Tk = k.shape[2]
        allowed = torch.ones(Tn, Tk, dtype=torch.bool).tril()
        scores = q @ k.transpose(-2, -1) / math.sqrt(attn.d_head)
        scores = scores.masked_fill(~allowed, float("-inf"))
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, Tn, D)
        return attn.proj(y), (k, v)
        """,
        ("test_cached_attention_steps",),
        "the causal triangle from the top-left corner: the new query reads only the oldest key",
    ),
    Mutant(
        "ca_sdpa_is_causal",
        "cached_attention",
        """
        B, Tn, D = x.shape
        q, k, v = (t.view(B, Tn, attn.num_heads, attn.d_head).transpose(1, 2)
                   for t in attn.qkv(x).split(D, dim=-1))
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return attn.proj(y.transpose(1, 2).reshape(B, Tn, D)), (k, v)
        """,
        ("test_cached_attention_steps",),
        "is_causal=True with a cache: PyTorch aligns the triangle to the top-left corner",
    ),
    Mutant(
        "ca_no_mask",
        "cached_attention",
        """
        B, Tn, D = x.shape
        q, k, v = (t.view(B, Tn, attn.num_heads, attn.d_head).transpose(1, 2)
                   for t in attn.qkv(x).split(D, dim=-1))
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(attn.d_head)
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, Tn, D)
        return attn.proj(y), (k, v)
        """,
        ("test_cached_attention_prefill",),
        "no mask at all: right for one new token, but the prompt's positions see their future",
    ),
    Mutant(
        "ca_new_keys_first",
        "cached_attention",
        """
        B, Tn, D = x.shape
        q, k, v = (t.view(B, Tn, attn.num_heads, attn.d_head).transpose(1, 2)
                   for t in attn.qkv(x).split(D, dim=-1))
        if past is not None:
            k = torch.cat([k, past[0]], dim=2)
            v = torch.cat([v, past[1]], dim=2)
        Tk = k.shape[2]
        allowed = torch.ones(Tn, Tk, dtype=torch.bool).tril(Tk - Tn)
        scores = q @ k.transpose(-2, -1) / math.sqrt(attn.d_head)
        scores = scores.masked_fill(~allowed, float("-inf"))
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, Tn, D)
        return attn.proj(y), (k, v)
        """,
        ("test_cached_attention_cache",),
        "puts the new keys before the past ones: the cache is out of order",
    ),
    Mutant(
        "ca_cache_not_split_into_heads",
        "cached_attention",
        """
        B, Tn, D = x.shape
        q, k_flat, v_flat = attn.qkv(x).split(D, dim=-1)  # (B, Tn, D) each
        if past is not None:
            k_flat = torch.cat([past[0], k_flat], dim=1)
            v_flat = torch.cat([past[1], v_flat], dim=1)
        Tk = k_flat.shape[1]
        q = q.view(B, Tn, attn.num_heads, attn.d_head).transpose(1, 2)
        k = k_flat.view(B, Tk, attn.num_heads, attn.d_head).transpose(1, 2)
        v = v_flat.view(B, Tk, attn.num_heads, attn.d_head).transpose(1, 2)
        allowed = torch.ones(Tn, Tk, dtype=torch.bool).tril(Tk - Tn)
        scores = q @ k.transpose(-2, -1) / math.sqrt(attn.d_head)
        scores = scores.masked_fill(~allowed, float("-inf"))
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, Tn, D)
        return attn.proj(y), (k_flat, v_flat)
        """,
        ("test_cached_attention_cache",),
        "caches (B, T, D) tensors instead of (B, h, T, d_head): not the stated contract",
    ),
    # ---- generate_cached -------------------------------------------------------------------------
    Mutant(
        "gc_positions_restart_at_zero",
        "generate_cached",
        """
        step_logits, caches = [], None
        new = idx[:, -model.block_size:]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                if caches is not None and caches[0][0].shape[2] == model.block_size:
                    caches, new = None, idx[:, -model.block_size:]
                positions = torch.arange(new.shape[1])
                x = model.tok_emb(new) + model.pos_emb(positions)
                present = []
                for i, block in enumerate(model.blocks):
                    past = None if caches is None else caches[i]
                    out, kv = cached_attention(block.attn, block.ln1(x), past)
                    x = x + out
                    x = x + block.mlp(block.ln2(x))
                    present.append(kv)
                caches = present
                logits = model.head(model.ln_out(x[:, -1])).float()
                step_logits.append(logits)
                z = logits / temperature
                if top_k is not None:
                    z = top_k_logits(z, top_k)
                new = torch.multinomial(torch.softmax(z, dim=-1), num_samples=1)
                idx = torch.cat([idx, new], dim=1)
        return idx, torch.stack(step_logits, dim=1)
        """,
        ("test_generate_cached_matches_uncached", "test_generate_cached_context_limit"),
        "every new token gets position 0's embedding: positions restart at each step",
    ),
    Mutant(
        "gc_feeds_whole_sequence",
        "generate_cached",
        """
        step_logits, caches = [], None
        with torch.no_grad():
            for _ in range(max_new_tokens):
                new = idx[:, -model.block_size:]
                start = 0 if caches is None else caches[0][0].shape[2]
                if start + new.shape[1] > model.block_size:
                    caches, start = None, 0
                positions = torch.arange(start, start + new.shape[1])
                x = model.tok_emb(new) + model.pos_emb(positions)
                present = []
                for i, block in enumerate(model.blocks):
                    past = None if caches is None else caches[i]
                    out, kv = cached_attention(block.attn, block.ln1(x), past)
                    x = x + out
                    x = x + block.mlp(block.ln2(x))
                    present.append(kv)
                caches = present
                logits = model.head(model.ln_out(x[:, -1])).float()
                step_logits.append(logits)
                z = logits / temperature
                if top_k is not None:
                    z = top_k_logits(z, top_k)
                nxt = torch.multinomial(torch.softmax(z, dim=-1), num_samples=1)
                idx = torch.cat([idx, nxt], dim=1)
        return idx, torch.stack(step_logits, dim=1)
        """,
        ("test_generate_cached_matches_uncached",),
        "feeds the whole text at every step on top of the cache: every token is cached many times",
    ),
    Mutant(
        "gc_window_cropped_one_short",
        "generate_cached",
        """
        step_logits, caches = [], None
        new = idx[:, -model.block_size:]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                if caches is not None and caches[0][0].shape[2] == model.block_size:
                    caches, new = None, idx[:, -(model.block_size - 1):]
                start = 0 if caches is None else caches[0][0].shape[2]
                positions = torch.arange(start, start + new.shape[1])
                x = model.tok_emb(new) + model.pos_emb(positions)
                present = []
                for i, block in enumerate(model.blocks):
                    past = None if caches is None else caches[i]
                    out, kv = cached_attention(block.attn, block.ln1(x), past)
                    x = x + out
                    x = x + block.mlp(block.ln2(x))
                    present.append(kv)
                caches = present
                logits = model.head(model.ln_out(x[:, -1])).float()
                step_logits.append(logits)
                z = logits / temperature
                if top_k is not None:
                    z = top_k_logits(z, top_k)
                new = torch.multinomial(torch.softmax(z, dim=-1), num_samples=1)
                idx = torch.cat([idx, new], dim=1)
        return idx, torch.stack(step_logits, dim=1)
        """,
        ("test_generate_cached_context_limit",),
        "off by one at the context limit: refills the window with block_size - 1 tokens",
    ),
    Mutant(
        "gc_no_refill_at_limit",
        "generate_cached",
        """
        step_logits, caches = [], None
        new = idx[:, -model.block_size:]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                if caches is not None and caches[0][0].shape[2] > model.block_size:
                    caches, new = None, idx[:, -model.block_size:]
                start = 0 if caches is None else caches[0][0].shape[2]
                positions = torch.arange(start, start + new.shape[1])
                x = model.tok_emb(new) + model.pos_emb(positions)
                present = []
                for i, block in enumerate(model.blocks):
                    past = None if caches is None else caches[i]
                    out, kv = cached_attention(block.attn, block.ln1(x), past)
                    x = x + out
                    x = x + block.mlp(block.ln2(x))
                    present.append(kv)
                caches = present
                logits = model.head(model.ln_out(x[:, -1])).float()
                step_logits.append(logits)
                z = logits / temperature
                if top_k is not None:
                    z = top_k_logits(z, top_k)
                new = torch.multinomial(torch.softmax(z, dim=-1), num_samples=1)
                idx = torch.cat([idx, new], dim=1)
        return idx, torch.stack(step_logits, dim=1)
        """,
        ("test_generate_cached_context_limit",),
        "off by one the other way: > instead of ==, so position block_size is looked up",
    ),
    Mutant(
        "gc_logits_after_temperature",
        "generate_cached",
        """
        step_logits, caches = [], None
        new = idx[:, -model.block_size:]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                if caches is not None and caches[0][0].shape[2] == model.block_size:
                    caches, new = None, idx[:, -model.block_size:]
                start = 0 if caches is None else caches[0][0].shape[2]
                positions = torch.arange(start, start + new.shape[1])
                x = model.tok_emb(new) + model.pos_emb(positions)
                present = []
                for i, block in enumerate(model.blocks):
                    past = None if caches is None else caches[i]
                    out, kv = cached_attention(block.attn, block.ln1(x), past)
                    x = x + out
                    x = x + block.mlp(block.ln2(x))
                    present.append(kv)
                caches = present
                z = model.head(model.ln_out(x[:, -1])).float() / temperature
                step_logits.append(z)
                if top_k is not None:
                    z = top_k_logits(z, top_k)
                new = torch.multinomial(torch.softmax(z, dim=-1), num_samples=1)
                idx = torch.cat([idx, new], dim=1)
        return idx, torch.stack(step_logits, dim=1)
        """,
        ("test_generate_cached_matches_uncached",),
        "returns the logits after dividing by the temperature",
    ),
    Mutant(
        "gc_no_final_layer_norm",
        "generate_cached",
        """
        step_logits, caches = [], None
        new = idx[:, -model.block_size:]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                if caches is not None and caches[0][0].shape[2] == model.block_size:
                    caches, new = None, idx[:, -model.block_size:]
                start = 0 if caches is None else caches[0][0].shape[2]
                positions = torch.arange(start, start + new.shape[1])
                x = model.tok_emb(new) + model.pos_emb(positions)
                present = []
                for i, block in enumerate(model.blocks):
                    past = None if caches is None else caches[i]
                    out, kv = cached_attention(block.attn, block.ln1(x), past)
                    x = x + out
                    x = x + block.mlp(block.ln2(x))
                    present.append(kv)
                caches = present
                logits = model.head(x[:, -1]).float()
                step_logits.append(logits)
                z = logits / temperature
                if top_k is not None:
                    z = top_k_logits(z, top_k)
                new = torch.multinomial(torch.softmax(z, dim=-1), num_samples=1)
                idx = torch.cat([idx, new], dim=1)
        return idx, torch.stack(step_logits, dim=1)
        """,
        ("test_generate_cached_matches_uncached",),
        "forgets model.ln_out before the head",
    ),
    Mutant(
        "gc_greedy_instead_of_sampling",
        "generate_cached",
        """
        step_logits, caches = [], None
        new = idx[:, -model.block_size:]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                if caches is not None and caches[0][0].shape[2] == model.block_size:
                    caches, new = None, idx[:, -model.block_size:]
                start = 0 if caches is None else caches[0][0].shape[2]
                positions = torch.arange(start, start + new.shape[1])
                x = model.tok_emb(new) + model.pos_emb(positions)
                present = []
                for i, block in enumerate(model.blocks):
                    past = None if caches is None else caches[i]
                    out, kv = cached_attention(block.attn, block.ln1(x), past)
                    x = x + out
                    x = x + block.mlp(block.ln2(x))
                    present.append(kv)
                caches = present
                logits = model.head(model.ln_out(x[:, -1])).float()
                step_logits.append(logits)
                new = logits.argmax(dim=-1, keepdim=True)
                idx = torch.cat([idx, new], dim=1)
        return idx, torch.stack(step_logits, dim=1)
        """,
        ("test_generate_cached_sampling",),
        "takes the argmax: not the tokens generate samples with the same seed",
    ),
    Mutant(
        "gc_prefill_reads_first_position",
        "generate_cached",
        """
        step_logits, caches = [], None
        new = idx[:, -model.block_size:]
        with torch.no_grad():
            for _ in range(max_new_tokens):
                if caches is not None and caches[0][0].shape[2] == model.block_size:
                    caches, new = None, idx[:, -model.block_size:]
                start = 0 if caches is None else caches[0][0].shape[2]
                positions = torch.arange(start, start + new.shape[1])
                x = model.tok_emb(new) + model.pos_emb(positions)
                present = []
                for i, block in enumerate(model.blocks):
                    past = None if caches is None else caches[i]
                    out, kv = cached_attention(block.attn, block.ln1(x), past)
                    x = x + out
                    x = x + block.mlp(block.ln2(x))
                    present.append(kv)
                caches = present
                logits = model.head(model.ln_out(x[:, 0])).float()
                step_logits.append(logits)
                z = logits / temperature
                if top_k is not None:
                    z = top_k_logits(z, top_k)
                new = torch.multinomial(torch.softmax(z, dim=-1), num_samples=1)
                idx = torch.cat([idx, new], dim=1)
        return idx, torch.stack(step_logits, dim=1)
        """,
        ("test_generate_cached_matches_uncached",),
        "after the prefill, predicts from the prompt's FIRST position instead of its last",
    ),
    # ---- kv_cache_prediction -----------------------------------------------------------------
    Mutant(
        "kv_counts_the_last_token",
        "kv_cache_prediction",
        """
        prediction_uncached_positions = sum(range(28, 129))
        prediction_cached_positions = 128
        prediction_growth = "c"
        """,
        ("test_kv_cache_prediction_positions",),
        "feeds the last sampled token too (off by one)",
    ),
    Mutant(
        "kv_uncached_counts_steps",
        "kv_cache_prediction",
        """
        prediction_uncached_positions = 100
        prediction_cached_positions = 127
        prediction_growth = "c"
        """,
        ("test_kv_cache_prediction_positions",),
        "counts model calls, not the positions each call processes",
    ),
    Mutant(
        "kv_cached_forgets_prefill",
        "kv_cache_prediction",
        """
        prediction_uncached_positions = 7750
        prediction_cached_positions = 100
        prediction_growth = "c"
        """,
        ("test_kv_cache_prediction_positions",),
        "forgets that the prompt is fed once (the prefill)",
    ),
    Mutant(
        "kv_growth_quadratic",
        "kv_cache_prediction",
        """
        prediction_uncached_positions = 7750
        prediction_cached_positions = 127
        prediction_growth = "b"
        """,
        ("test_kv_cache_prediction_growth",),
        "expects the T x T attention to dominate at these sizes",
    ),
    Mutant(
        "kv_growth_flat",
        "kv_cache_prediction",
        """
        prediction_uncached_positions = 7750
        prediction_cached_positions = 127
        prediction_growth = "d"
        """,
        ("test_kv_cache_prediction_growth",),
        "expects the cache to make no difference",
    ),
    Mutant(
        "kv_growth_both_linear",
        "kv_cache_prediction",
        """
        prediction_uncached_positions = 7750
        prediction_cached_positions = 127
        prediction_growth = "a"
        """,
        ("test_kv_cache_prediction_growth",),
        "expects the cached step to cost as much per context token as the uncached pass",
    ),
]
