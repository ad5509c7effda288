"""Correct answers to notebook 03 in other styles; each must keep full marks.

Each equivalent carries only what replaces the solution region(s) of its cell (the format of
``autograder/mutants.py``).

Run with ``python -m autograder mutants --assignment 03_attention``.
"""

from autograder.mutants import Equivalent

EQUIVALENTS = [
    # ---- softmax ----------------------------------------------------------------------------
    Equivalent(
        "softmax_logsumexp",
        "softmax",
        """
        shifted = x - x.amax(dim=dim, keepdim=True)
        return torch.exp(shifted - torch.logsumexp(shifted, dim=dim, keepdim=True))
        """,
        "log domain: shift, then subtract the log-sum-exp",
    ),
    Equivalent(
        "softmax_max_values",
        "softmax",
        """
        m, _ = torch.max(x, dim=dim, keepdim=True)
        e = (x - m).exp()
        return e / torch.sum(e, dim=dim, keepdim=True)
        """,
        "torch.max(...) values",
    ),
    Equivalent(
        "softmax_float64_inside",
        "softmax",
        """
        moved = x.movedim(dim, -1).double()  # work on the last axis, in float64
        e = torch.exp(moved - moved.max(dim=-1, keepdim=True).values)
        return (e / e.sum(dim=-1, keepdim=True)).to(x.dtype).movedim(-1, dim)
        """,
        "float64 inside, moved to the last axis",
    ),
    # ---- attention_weights ------------------------------------------------------------------
    Equivalent(
        "weights_bmm_minus_1e9",
        "attention_weights",
        """
        scores = torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1)  # (B, S)
        if mask is not None:
            scores = scores.masked_fill(mask == 0, -1e9)
        return softmax(scores)
        """,
        "bmm and a -1e9 mask",
    ),
    Equivalent(
        "weights_einsum_where",
        "attention_weights",
        """
        scores = torch.einsum("bsh,bh->bs", keys, query)
        if mask is not None:
            scores = torch.where(mask, scores, torch.full_like(scores, float("-inf")))
        return softmax(scores, dim=1)
        """,
        "einsum and torch.where",
    ),
    Equivalent(
        "weights_renormalise",
        "attention_weights",
        """
        scores = (query[:, None, :] @ keys.transpose(1, 2))[:, 0, :]  # (B, 1, S) -> (B, S)
        if mask is not None:  # an additive mask: 0 where kept, -inf on the padding
            scores = scores + torch.zeros_like(scores).masked_fill(~mask, float("-inf"))
        return softmax(scores, dim=-1)
        """,
        "matmul and an additive float mask",
    ),
    # ---- attention_context ------------------------------------------------------------------
    Equivalent(
        "context_bmm",
        "attention_context",
        """
        return torch.bmm(weights.unsqueeze(1), values).squeeze(1)  # (B, 1, S) @ (B, S, H)
        """,
        "bmm",
    ),
    Equivalent(
        "context_einsum",
        "attention_context",
        """
        return torch.einsum("bs,bsh->bh", weights, values)
        """,
        "einsum",
    ),
    Equivalent(
        "context_loop",
        "attention_context",
        """
        context = torch.zeros(values.shape[0], values.shape[2], dtype=values.dtype)
        for s in range(values.shape[1]):
            context = context + weights[:, s : s + 1] * values[:, s, :]
        return context
        """,
        "loop over source positions",
    ),
    # ---- attention_decoder_step -------------------------------------------------------------
    Equivalent(
        "step_inline_einsum",
        "attention_decoder_step",
        """
        scores = torch.einsum("bh,bsh->bs", dec_out, enc_outputs)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = softmax(scores, dim=-1)
        context = torch.einsum("bs,bsh->bh", weights, enc_outputs)
        return output(torch.tanh(combine(torch.cat((dec_out, context), dim=1)))), weights
        """,
        "attention written inline with einsum",
    ),
    Equivalent(
        "step_split_combine_weights",
        "attention_decoder_step",
        """
        import torch.nn.functional as F

        weights = attention_weights(dec_out, enc_outputs, mask)
        context = attention_context(weights, enc_outputs)
        hidden = dec_out.shape[-1]
        w_dec, w_ctx = combine.weight[:, :hidden], combine.weight[:, hidden:]
        attentional = torch.tanh(F.linear(dec_out, w_dec) + F.linear(context, w_ctx, combine.bias))
        return F.linear(attentional, output.weight, output.bias), weights
        """,
        "combine applied as two half matrices, F.linear",
    ),
    Equivalent(
        "step_bmm",
        "attention_decoder_step",
        """
        weights = attention_weights(dec_out, enc_outputs, mask)
        context = torch.bmm(weights.unsqueeze(1), enc_outputs).squeeze(1)
        logits = output(combine(torch.cat([dec_out, context], dim=-1)).tanh())
        return logits, weights
        """,
        "bmm for the context, Tensor.tanh",
    ),
    # ---- understanding ----------------------------------------------------------------------
    Equivalent(
        "quiz_numpy_scalars",
        "understanding",
        """
        answer_1 = np.float64(0.88)
        answer_2 = "d"
        answer_3 = "b"
        answer_4 = np.int64(12)
        answer_5 = "a"
        """,
        "numpy scalars",
    ),
    Equivalent(
        "quiz_expressions",
        "understanding",
        """
        answer_1 = 22 / 25
        answer_2 = "d"
        answer_3 = "b"
        answer_4 = 3 * 4
        answer_5 = "a"
        """,
        "expressions",
    ),
    Equivalent(
        "quiz_float_count",
        "understanding",
        """
        answer_1 = 0.880
        answer_2 = "d"
        answer_3 = "b"
        answer_4 = 12.0
        answer_5 = "a"
        """,
        "a count written as a float",
    ),
    # ---- padding_prediction -----------------------------------------------------------------
    Equivalent(
        "pad_rounded_upper",
        "padding_prediction",
        """
        prediction_padding_weight_6 = 0.21
        prediction_padding_weight_20 = "C"
        """,
        "rounded to two decimals, an upper-case letter",
    ),
    Equivalent(
        "pad_numpy",
        "padding_prediction",
        """
        prediction_padding_weight_6 = np.float64(3) / np.exp([2.0, 1.0, 0.0, 0.0, 0.0, 0.0]).sum()
        prediction_padding_weight_20 = 'c'
        """,
        "a numpy float64 from the denominator written out",
    ),
    Equivalent(
        "pad_torch",
        "padding_prediction",
        """
        _weights = torch.softmax(torch.tensor([2.0, 1, 0, 0, 0, 0]), dim=0)
        prediction_padding_weight_6 = _weights[3:].sum().item()
        prediction_padding_weight_20 = " c "
        """,
        "computed with torch.softmax; spaces around the letter",
    ),
    Equivalent(
        "pad_float32",
        "padding_prediction",
        """
        prediction_padding_weight_6 = np.float32(0.2127)
        prediction_padding_weight_20 = "c"
        """,
        "a numpy float32",
    ),
]
