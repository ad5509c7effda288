"""Correct answers to notebook 07 in other styles; each must keep full marks.

Each equivalent carries only what replaces the solution region(s) of its cell (the format of
``autograder/mutants.py``).

Run with ``python -m autograder mutants --assignment 07_gpt``.
"""

from autograder.mutants import Equivalent

EQUIVALENTS = [
    # ---- CausalSelfAttention ----------------------------------------------------------------
    Equivalent(
        "csa_mingpt",
        "CausalSelfAttention",
        """
        # minGPT / nanoGPT's slow path (their causal buffer built here, as the constructor is given)
        B, T, C = x.size()
        q, k, v = self.qkv(x).split(C, dim=2)
        k = k.view(B, T, self.num_heads, C // self.num_heads).transpose(1, 2)  # (B, nh, T, hs)
        q = q.view(B, T, self.num_heads, C // self.num_heads).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, self.num_heads, C // self.num_heads).transpose(1, 2)  # (B, nh, T, hs)
        bias = torch.tril(torch.ones(T, T, device=x.device)).view(1, 1, T, T)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v  # (B, nh, T, T) x (B, nh, T, hs) -> (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)
        """,
        "minGPT/nanoGPT's manual attention",
    ),
    Equivalent(
        "csa_einsum_minus_1e9",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        h, d = self.num_heads, self.d_head
        q, k, v = self.qkv(x).view(B, T, 3, h, d).unbind(dim=2)  # 3 x (B, T, h, d)
        scores = torch.einsum("bqhd,bkhd->bhqk", q, k) / d**0.5
        future = torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), diagonal=1)
        scores = scores.masked_fill(future, -1e9)
        weights = scores.softmax(dim=-1)
        y = torch.einsum("bhqk,bkhd->bqhd", weights, v).reshape(B, T, D)
        return self.proj(y)
        """,
        "einsum, one view for q, k, v, a -1e9 mask",
    ),
    Equivalent(
        "csa_chunk_additive_mask",
        "CausalSelfAttention",
        """
        B, T, D = x.shape
        q, k, v = (
            t.reshape(B, T, self.num_heads, self.d_head).permute(0, 2, 1, 3)
            for t in self.qkv(x).chunk(3, dim=-1)
        )
        mask = torch.full((T, T), float("-inf"), device=x.device).triu(1)  # 0 on/below diag
        weights = torch.softmax(q @ k.mT / math.sqrt(self.d_head) + mask, dim=-1)
        return self.proj((weights @ v).permute(0, 2, 1, 3).reshape(B, T, D))
        """,
        "chunk, permute, an additive -inf mask",
    ),
    # ---- top_k_logits -----------------------------------------------------------------------
    Equivalent(
        "topk_nanogpt",
        "top_k_logits",
        """
        # nanoGPT's generate(): crop to the top k, compare with the smallest kept value
        if k < 1:
            raise ValueError("k must be >= 1")
        v, _ = torch.topk(logits, min(k, logits.size(-1)))
        out = logits.clone()
        out[out < v[..., [-1]]] = -float("Inf")
        return out
        """,
        "nanoGPT: topk, clone, boolean index",
    ),
    Equivalent(
        "topk_sort",
        "top_k_logits",
        """
        if k < 1:
            raise ValueError(f"k={k}: keep at least one logit")
        k = min(k, logits.shape[-1])
        kth = torch.sort(logits, dim=-1, descending=True).values[..., k - 1 : k]
        return torch.where(logits >= kth, logits, torch.full_like(logits, float("-inf")))
        """,
        "sort descending and torch.where",
    ),
    Equivalent(
        "topk_kthvalue",
        "top_k_logits",
        """
        if k < 1:
            raise ValueError("k must be positive")
        V = logits.shape[-1]
        if k >= V:
            return logits.clone()
        threshold = torch.kthvalue(logits, V - k + 1, dim=-1, keepdim=True).values
        return logits.masked_fill(logits < threshold, float("-inf"))
        """,
        "kthvalue from the bottom",
    ),
    # ---- generate ---------------------------------------------------------------------------
    Equivalent(
        "generate_nanogpt",
        "generate",
        """
        # nanoGPT's GPT.generate, with the crop to the block size
        model_was_training = model.training
        with torch.no_grad():
            for _ in range(max_new_tokens):
                block = model.block_size
                idx_cond = idx if idx.size(1) <= block else idx[:, -block:]
                logits = model(idx_cond)
                logits = logits[:, -1, :] / temperature
                if top_k is not None:
                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float("Inf")
                probs = F.softmax(logits, dim=-1)
                idx_next = torch.multinomial(probs, num_samples=1)
                idx = torch.cat((idx, idx_next), dim=1)
        model.train(model_was_training)
        return idx
        """,
        "nanoGPT's generate, top-k inline",
    ),
    Equivalent(
        "generate_preallocated",
        "generate",
        """
        B, T0 = idx.shape
        out = torch.empty(B, T0 + max_new_tokens, dtype=torch.long, device=idx.device)
        out[:, :T0] = idx
        for t in range(T0, T0 + max_new_tokens):
            with torch.no_grad():
                logits = model(out[:, max(0, t - model.block_size) : t])[:, -1]
            logits = logits / temperature
            if top_k is not None:
                logits = top_k_logits(logits, top_k)
            out[:, t] = torch.multinomial(logits.softmax(-1), 1).squeeze(1)
        return out
        """,
        "a preallocated output, a sliding window",
    ),
    Equivalent(
        "generate_categorical",
        "generate",
        """
        for _ in range(max_new_tokens):
            with torch.no_grad():
                logits = model(idx[:, -model.block_size :])[:, -1, :]
            logits = logits / temperature
            if top_k is not None:
                logits = top_k_logits(logits, top_k)
            probs = torch.softmax(logits, dim=-1)
            next_token = torch.distributions.Categorical(probs=probs).sample()  # (B,)
            idx = torch.cat([idx, next_token.unsqueeze(-1)], dim=-1)
        return idx
        """,
        "torch.distributions.Categorical",
    ),
    # ---- train_step -------------------------------------------------------------------------
    Equivalent(
        "train_nanogpt",
        "train_step",
        """
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1), ignore_index=-1)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip)
        optimizer.step()
        return loss.item()
        """,
        "nanoGPT's training loop body",
    ),
    Equivalent(
        "train_class_dim_loss",
        "train_step",
        """
        model.zero_grad(set_to_none=True)
        loss = nn.CrossEntropyLoss()(model(x).transpose(1, 2), y)  # classes on dim 1
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        return float(loss.detach())
        """,
        "nn.CrossEntropyLoss with the class dimension second",
    ),
    Equivalent(
        "train_log_softmax_gather",
        "train_step",
        """
        optimizer.zero_grad(set_to_none=True)
        log_probs = torch.log_softmax(model(x), dim=-1)  # (B, T, V)
        loss = -log_probs.gather(-1, y.unsqueeze(-1)).mean()
        loss.backward()
        total = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        assert torch.isfinite(total)
        optimizer.step()
        return loss.item()
        """,
        "log_softmax and gather",
    ),
    # ---- understanding ----------------------------------------------------------------------
    Equivalent(
        "quiz_numpy_scalars",
        "understanding",
        """
        answer_1 = np.log(96)
        answer_2 = np.int64(21)
        answer_3 = "c"
        answer_4 = "d"
        answer_5 = "a"
        answer_6 = "d"
        """,
        "numpy scalars",
    ),
    Equivalent(
        "quiz_expressions",
        "understanding",
        """
        answer_1 = math.log(96)
        answer_2 = 6 * 7 // 2
        answer_3 = "c"
        answer_4 = "d"
        answer_5 = "a"
        answer_6 = "d"
        """,
        "expressions",
    ),
    Equivalent(
        "quiz_floats",
        "understanding",
        """
        answer_1 = 4.564
        answer_2 = 21.0
        answer_3 = "c"
        answer_4 = "d"
        answer_5 = "a"
        answer_6 = "d"
        """,
        "floats",
    ),
    Equivalent(
        "quiz_prediction_expressions",
        "kv_cache_prediction",
        """
        prediction_uncached_positions = (28 + 127) * 100 // 2
        prediction_cached_positions = 28 + (100 - 1)
        prediction_growth = "c"
        """,
        "arithmetic series by formula",
    ),
    Equivalent(
        "quiz_prediction_floats",
        "kv_cache_prediction",
        """
        prediction_uncached_positions = 7750.0
        prediction_cached_positions = 127.0
        prediction_growth = "c"
        """,
        "floats",
    ),
    Equivalent(
        "quiz_prediction_numpy",
        "kv_cache_prediction",
        """
        prediction_uncached_positions = np.arange(28, 128).sum()
        prediction_cached_positions = np.int64(127)
        prediction_growth = "c"
        """,
        "numpy scalars",
    ),
    # ---- cached_attention -------------------------------------------------------------------
    Equivalent(
        "ca_sdpa_explicit_mask",
        "cached_attention",
        """
        B, T_new, D = x.shape
        qkv = attn.qkv(x).view(B, T_new, 3, attn.num_heads, attn.d_head).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # (B, h, T_new, d_head)
        if past is not None:
            k, v = torch.cat((past[0], k), dim=-2), torch.cat((past[1], v), dim=-2)
        T_past = k.size(-2) - T_new
        query_pos = torch.arange(T_past, T_past + T_new, device=x.device)[:, None]
        key_pos = torch.arange(k.size(-2), device=x.device)[None, :]
        allowed = key_pos <= query_pos  # (T_new, T_past + T_new), True = attend
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        return attn.proj(y.transpose(1, 2).reshape(B, T_new, D)), (k, v)
        """,
        "F.scaled_dot_product_attention with an explicit boolean mask built from positions",
    ),
    Equivalent(
        "ca_einsum_additive",
        "cached_attention",
        """
        B, T, D = x.shape
        h, d = attn.num_heads, attn.d_head
        q, k, v = attn.qkv(x).reshape(B, T, 3, h, d).unbind(2)  # (B, T, h, d)
        k, v = k.transpose(1, 2), v.transpose(1, 2)  # (B, h, T, d)
        if past is not None:
            k_past, v_past = past
            k = torch.cat([k_past, k], 2)
            v = torch.cat([v_past, v], 2)
        S = k.shape[2]
        scores = torch.einsum("bqhd,bhkd->bhqk", q, k) * d**-0.5
        future = torch.arange(S)[None, :] > torch.arange(S - T, S)[:, None]
        scores = scores + torch.where(future, -1e9, 0.0)
        y = torch.einsum("bhqk,bhkd->bqhd", scores.softmax(-1), v).reshape(B, T, D)
        return attn.proj(y), (k, v)
        """,
        "einsum, a -1e9 additive mask",
    ),
    Equivalent(
        "ca_hf_style_layer_past",
        "cached_attention",
        """
        # GPT-2 in Hugging Face transformers style: a layer_past tuple, present = (key, value)
        bsz, q_len, embed_dim = x.size()
        query, key, value = attn.qkv(x).split(embed_dim, dim=2)

        def _split_heads(t):
            return t.view(bsz, q_len, attn.num_heads, attn.d_head).permute(0, 2, 1, 3)

        query, key, value = _split_heads(query), _split_heads(key), _split_heads(value)
        if past is not None:
            past_key, past_value = past
            key = torch.cat((past_key, key), dim=-2)
            value = torch.cat((past_value, value), dim=-2)
        present = (key, value)
        attn_weights = torch.matmul(query, key.transpose(-1, -2)) / (value.size(-1) ** 0.5)
        key_len = key.size(-2)
        causal = torch.tril(torch.ones(key_len, key_len, dtype=torch.bool, device=x.device))
        causal = causal[key_len - q_len : key_len, :key_len]
        mask_value = torch.finfo(attn_weights.dtype).min
        attn_weights = torch.where(causal, attn_weights, torch.full_like(attn_weights, mask_value))
        attn_weights = torch.nn.functional.softmax(attn_weights, dim=-1)
        attn_output = torch.matmul(attn_weights, value).permute(0, 2, 1, 3).contiguous()
        attn_output = attn_output.view(bsz, q_len, embed_dim)
        return attn.proj(attn_output), present
        """,
        "Hugging Face GPT-2 style: layer_past, a bias slice, finfo.min",
    ),
    # ---- generate_cached --------------------------------------------------------------------
    Equivalent(
        "gc_prefill_then_decode",
        "generate_cached",
        """
        def run(tokens, caches):
            # one forward pass over new tokens; returns last logits (B, V) and the new caches
            t_past = 0 if caches is None else caches[0][0].shape[2]
            pos = torch.arange(t_past, t_past + tokens.shape[1], device=tokens.device)
            h = model.tok_emb(tokens) + model.pos_emb(pos)
            new_caches = []
            for layer, block in enumerate(model.blocks):
                past = caches[layer] if caches else None
                a, kv = cached_attention(block.attn, block.ln1(h), past)
                h = h + a
                h = h + block.mlp(block.ln2(h))
                new_caches.append(kv)
            return model.head(model.ln_out(h))[:, -1].float(), new_caches

        B = idx.shape[0]
        with torch.no_grad():
            logits, caches = run(idx[:, -model.block_size:], None)  # prefill
            out = None
            for s in range(max_new_tokens):
                if out is None:
                    out = torch.empty(B, max_new_tokens, logits.shape[-1])
                out[:, s] = logits
                z = logits / temperature
                if top_k is not None:
                    z = top_k_logits(z, top_k)
                nxt = torch.multinomial(F.softmax(z, dim=-1), 1)
                idx = torch.cat((idx, nxt), dim=1)
                if s == max_new_tokens - 1:
                    break
                if caches[0][0].shape[2] < model.block_size:
                    logits, caches = run(nxt, caches)  # decode one token
                else:
                    logits, caches = run(idx[:, -model.block_size:], None)  # window full: refill
        return idx, out
        """,
        "a helper for the forward pass, a separate prefill, a preallocated logits tensor",
    ),
    Equivalent(
        "gc_position_counter",
        "generate_cached",
        """
        kv = [None] * len(model.blocks)
        pos = 0
        pending = idx[:, -model.block_size:]
        all_logits = []
        with torch.no_grad():
            for _ in range(max_new_tokens):
                if pos + pending.shape[1] > model.block_size:  # would not fit: start again
                    kv, pos = [None] * len(model.blocks), 0
                    pending = idx[:, -model.block_size:]
                n = pending.shape[1]
                x = model.tok_emb(pending) + model.pos_emb.weight[pos : pos + n]
                for j, blk in enumerate(model.blocks):
                    y, kv[j] = cached_attention(blk.attn, blk.ln1(x), kv[j])
                    x = x + y
                    x = x + blk.mlp(blk.ln2(x))
                pos += n
                last = model.head(model.ln_out(x))[:, -1, :].float()
                all_logits.append(last)
                z = last / temperature
                probs = torch.softmax(z if top_k is None else top_k_logits(z, top_k), dim=-1)
                pending = torch.multinomial(probs, num_samples=1)
                idx = torch.cat([idx, pending], dim=-1)
        return idx, torch.stack(all_logits, 1)
        """,
        "a running position counter and the position table's rows sliced directly",
    ),
    Equivalent(
        "gc_inference_mode_zip",
        "generate_cached",
        """
        caches = None
        logits_per_step = []
        context = idx[:, -model.block_size:]
        with torch.inference_mode():
            for step in range(max_new_tokens):
                length = 0 if caches is None else caches[0][0].size(2)
                if caches is not None and length >= model.block_size:
                    caches, context, length = None, idx[:, -model.block_size:], 0
                x = model.tok_emb(context) + model.pos_emb(
                    torch.arange(length, length + context.size(1), device=idx.device)
                )
                updated = []
                for block, past in zip(model.blocks, caches or [None] * len(model.blocks)):
                    out, cache = cached_attention(block.attn, block.ln1(x), past)
                    x = x + out
                    x = x + block.mlp(block.ln2(x))
                    updated.append(cache)
                caches = updated
                logits = model.head(model.ln_out(x[:, -1:, :])).squeeze(1).float()  # (B, V)
                logits_per_step.append(logits.clone())
                logits = logits / temperature
                if top_k is not None:
                    logits = top_k_logits(logits, top_k)
                probs = logits.softmax(dim=-1)
                context = torch.multinomial(probs, 1)
                idx = torch.cat([idx, context], 1)
        return idx.clone(), torch.stack(logits_per_step, dim=1).clone()
        """,
        "inference_mode, zip over blocks and caches, >= at the limit",
    ),
]
