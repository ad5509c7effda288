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
        answer_3 = "b"
        answer_4 = "b"
        answer_5 = "b"
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
        answer_3 = "b"
        answer_4 = "b"
        answer_5 = "b"
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
        answer_3 = "b"
        answer_4 = "b"
        answer_5 = "b"
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
        answer_3 = "b"
        answer_4 = "b"
        answer_5 = "b"
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
        answer_4 = "b"
        answer_5 = "b"
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
        answer_3 = "b"
        answer_4 = 'a'
        answer_5 = "b"
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
        answer_3 = "b"
        answer_4 = "b"
        answer_5 = 'c'
        """,
        ("test_understanding_q5",),
        "thinks the fused kernel stores the T x T matrix too",
    ),
]
