"""Correct answers to notebook 05 in other styles; each must keep full marks.

Each equivalent carries only what replaces the solution region(s) of its cell (the format of
``autograder/mutants.py``).

Run with ``python -m autograder mutants --assignment 05_multi_head_attention``.
"""

from autograder.mutants import Equivalent

EQUIVALENTS = [
    # ---- split_heads ------------------------------------------------------------------------
    Equivalent(
        "split_reshape_permute",
        "split_heads",
        """
        B, L, D = x.shape
        return x.reshape(B, L, num_heads, D // num_heads).permute(0, 2, 1, 3)
        """,
        "reshape and permute",
    ),
    Equivalent(
        "split_chunk_stack",
        "split_heads",
        """
        return torch.stack(x.chunk(num_heads, dim=-1), dim=1)  # h x (B, L, d) -> (B, h, L, d)
        """,
        "chunk the features, stack the heads",
    ),
    Equivalent(
        "split_unflatten",
        "split_heads",
        """
        return x.unflatten(-1, (num_heads, -1)).transpose(-3, -2)
        """,
        "unflatten",
    ),
    # ---- merge_heads ------------------------------------------------------------------------
    Equivalent(
        "merge_permute_reshape",
        "merge_heads",
        """
        B, h, L, d = x.shape
        return x.permute(0, 2, 1, 3).reshape(B, L, h * d)
        """,
        "permute and reshape",
    ),
    Equivalent(
        "merge_cat_heads",
        "merge_heads",
        """
        return torch.cat(x.unbind(dim=1), dim=-1)
        """,
        "concatenate the heads",
    ),
    Equivalent(
        "merge_contiguous_view",
        "merge_heads",
        """
        B, h, L, d = x.size()
        return x.transpose(1, 2).contiguous().view(B, L, h * d)  # the Annotated Transformer
        """,
        "the Annotated Transformer: contiguous().view",
    ),
    # ---- MultiHeadAttention -----------------------------------------------------------------
    Equivalent(
        "mha_inline_minus_1e9",
        "MultiHeadAttention",
        """
        B, L, D = query.shape
        S = key.shape[1]
        q = self.q_proj(query).view(B, L, self.num_heads, self.d_head).transpose(1, 2)
        k = self.k_proj(key).view(B, S, self.num_heads, self.d_head).transpose(1, 2)
        v = self.v_proj(value).view(B, S, self.num_heads, self.d_head).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)  # (B, h, L, S)
        if mask is not None:
            scores = scores.masked_fill(mask == 0, -1e9)
        weights = scores.softmax(dim=-1)
        context = (weights @ v).transpose(1, 2).reshape(B, L, D)
        return self.out_proj(context), weights
        """,
        "the Annotated Transformer's MultiHeadedAttention: view, -1e9",
    ),
    Equivalent(
        "mha_einsum",
        "MultiHeadAttention",
        """
        h = self.num_heads
        q = self.q_proj(query).unflatten(-1, (h, self.d_head))  # (B, L, h, d)
        k = self.k_proj(key).unflatten(-1, (h, self.d_head))  # (B, S, h, d)
        v = self.v_proj(value).unflatten(-1, (h, self.d_head))  # (B, S, h, d)
        scores = torch.einsum("blhd,bshd->bhls", q, k) * self.d_head**-0.5
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = torch.einsum("bhls,bshd->blhd", weights, v).flatten(-2)  # (B, L, D)
        return self.out_proj(context), weights
        """,
        "einsum without transposes",
    ),
    Equivalent(
        "mha_loop_over_heads",
        "MultiHeadAttention",
        """
        q, k, v = self.q_proj(query), self.k_proj(key), self.v_proj(value)
        B, L, S, h = query.shape[0], query.shape[1], key.shape[1], self.num_heads
        contexts, all_weights = [], []
        for i in range(h):
            part = slice(i * self.d_head, (i + 1) * self.d_head)  # head i's features
            head_mask = None if mask is None else torch.broadcast_to(mask, (B, h, L, S))[:, i]
            q_i, k_i, v_i = q[..., part], k[..., part], v[..., part]
            out, w = scaled_dot_product_attention(q_i, k_i, v_i, head_mask)
            contexts.append(out)  # (B, L, d_head)
            all_weights.append(w)  # (B, L, S)
        return self.out_proj(torch.cat(contexts, dim=-1)), torch.stack(all_weights, dim=1)
        """,
        "one head at a time, as in the paper's concatenation",
    ),
    # ---- load_torch_weights -----------------------------------------------------------------
    Equivalent(
        "load_slices_data",
        "load_torch_weights",
        """
        D = module.out_proj.weight.shape[0]
        w, b = reference.in_proj_weight.data, reference.in_proj_bias.data
        for i, proj in enumerate((module.q_proj, module.k_proj, module.v_proj)):
            proj.weight.data.copy_(w[i * D : (i + 1) * D])
            proj.bias.data.copy_(b[i * D : (i + 1) * D])
        module.out_proj.weight.data.copy_(reference.out_proj.weight.data)
        module.out_proj.bias.data.copy_(reference.out_proj.bias.data)
        return module
        """,
        "slices and .data.copy_",
    ),
    Equivalent(
        "load_state_dict",
        "load_torch_weights",
        """
        w_q, w_k, w_v = reference.in_proj_weight.detach().split(module.q_proj.out_features)
        b_q, b_k, b_v = reference.in_proj_bias.detach().split(module.q_proj.out_features)
        state = {
            "q_proj.weight": w_q, "q_proj.bias": b_q,
            "k_proj.weight": w_k, "k_proj.bias": b_k,
            "v_proj.weight": w_v, "v_proj.bias": b_v,
            "out_proj.weight": reference.out_proj.weight.detach(),
            "out_proj.bias": reference.out_proj.bias.detach(),
        }
        module.load_state_dict(state)  # copies into the existing parameters
        return module
        """,
        "load_state_dict",
    ),
    Equivalent(
        "load_new_parameters",
        "load_torch_weights",
        """
        weights = reference.in_proj_weight.detach().clone().chunk(3)
        biases = reference.in_proj_bias.detach().clone().chunk(3)
        for proj, w, b in zip((module.q_proj, module.k_proj, module.v_proj), weights, biases):
            proj.weight = nn.Parameter(w.clone())
            proj.bias = nn.Parameter(b.clone())
        module.out_proj.weight = nn.Parameter(reference.out_proj.weight.detach().clone())
        module.out_proj.bias = nn.Parameter(reference.out_proj.bias.detach().clone())
        return module
        """,
        "fresh nn.Parameter copies",
    ),
    # ---- understanding ----------------------------------------------------------------------
    Equivalent(
        "quiz_numpy_scalars",
        "understanding",
        """
        import numpy as np

        answer_1 = np.int64(64)
        answer_2 = "c"
        answer_3 = np.float64(4.0)
        answer_4 = "a"
        answer_5 = "c"
        """,
        "numpy scalars",
    ),
    Equivalent(
        "quiz_expressions",
        "understanding",
        """
        answer_1 = 2**6
        answer_2 = "c"
        answer_3 = 16 / 4
        answer_4 = "a"
        answer_5 = "c"
        """,
        "expressions",
    ),
    Equivalent(
        "quiz_int_and_float",
        "understanding",
        """
        answer_1 = 64.0
        answer_2 = "c"
        answer_3 = 4
        answer_4 = "a"
        answer_5 = "c"
        """,
        "64 as a float, 4 as an int",
    ),
    # ---- memory_prediction ------------------------------------------------------------------
    Equivalent(
        "mem_quadratic_expression",
        "memory_prediction",
        """
        prediction_memory_factor = (1024 / 256) ** 2
        """,
        "n squared, as an expression (a float)",
    ),
    Equivalent(
        "mem_accounting",
        "memory_prediction",
        """
        _long = 4 * 4 * 1024**2 + 5 * 4 * 1024 * 64  # weights + five (B, n, d) tensors
        _short = 4 * 4 * 256**2 + 5 * 4 * 256 * 64
        prediction_memory_factor = _long / _short
        """,
        "weights plus five (B, n, d) tensors, counted",
    ),
    Equivalent(
        "mem_numpy_int",
        "memory_prediction",
        """
        import numpy as np

        prediction_memory_factor = np.int64(16)
        """,
        "a numpy int",
    ),
    Equivalent(
        "mem_torch_float",
        "memory_prediction",
        """
        prediction_memory_factor = torch.tensor(13.0).item()
        """,
        "a float from a torch scalar",
    ),
]
