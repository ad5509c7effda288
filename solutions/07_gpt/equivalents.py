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
        answer_3 = "b"
        answer_4 = "b"
        answer_5 = "b"
        """,
        "numpy scalars",
    ),
    Equivalent(
        "quiz_expressions",
        "understanding",
        """
        answer_1 = math.log(96)
        answer_2 = 6 * 7 // 2
        answer_3 = "b"
        answer_4 = "b"
        answer_5 = "b"
        """,
        "expressions",
    ),
    Equivalent(
        "quiz_floats",
        "understanding",
        """
        answer_1 = 4.564
        answer_2 = 21.0
        answer_3 = "b"
        answer_4 = "b"
        answer_5 = "b"
        """,
        "floats",
    ),
]
