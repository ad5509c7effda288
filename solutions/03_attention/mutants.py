"""Common wrong answers to notebook 03; each must lose points on the test cell it names.

Each mutant carries only what replaces the solution region(s) of its cell, the lines
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (a tuple, one string per region, for a
cell with several); the harness splices it into the notebook's current cell, so the given
code is never copied here.

Run with ``python -m autograder mutants --assignment 03_attention``.
"""

from autograder.mutants import Mutant

MUTANTS = [
    # ---- softmax ---------------------------------------------------------------------------------
    Mutant(
        "softmax_no_max_subtraction",
        "softmax",
        """
        e = torch.exp(x)
        return e / e.sum(dim=dim, keepdim=True)
        """,
        ("test_softmax_stable",),
        "the literal formula: exp overflows for large scores",
    ),
    Mutant(
        "softmax_no_grad",
        "softmax",
        """
        with torch.no_grad():
            e = torch.exp(x - x.amax(dim=dim, keepdim=True))
            return e / e.sum(dim=dim, keepdim=True)
        """,
        ("test_softmax_values",),
        "computes under torch.no_grad(): right values, but nothing trains through them",
    ),
    Mutant(
        "softmax_fixed_axis_0",
        "softmax",
        """
        e = torch.exp(x - x.amax(dim=0, keepdim=True))
        return e / e.sum(dim=0, keepdim=True)
        """,
        ("test_softmax_values",),
        "normalises along the wrong axis (always dim 0)",
    ),
    Mutant(
        "softmax_ignores_dim",
        "softmax",
        """
        e = torch.exp(x - x.amax(dim=-1, keepdim=True))
        return e / e.sum(dim=-1, keepdim=True)
        """,
        ("test_softmax_dim",),
        "ignores the dim argument and always uses the last axis",
    ),
    Mutant(
        "softmax_sum_over_everything",
        "softmax",
        """
        e = torch.exp(x - x.amax(dim=dim, keepdim=True))
        return e / e.sum()
        """,
        ("test_softmax_values", "test_softmax_dim"),
        "normalises over all elements instead of each slice",
    ),
    Mutant(
        "softmax_built_in",
        "softmax",
        """
        return torch.softmax(x, dim=dim)
        """,
        ("test_softmax_from_scratch",),
        "calls the built-in softmax",
    ),
    Mutant(
        "softmax_built_in_via_log_softmax",
        "softmax",
        """
        return torch.exp(F.log_softmax(x, dim=dim))
        """,
        ("test_softmax_from_scratch",),
        "goes around the rule through the built-in log_softmax",
    ),
    Mutant(
        "softmax_global_max",
        "softmax",
        """
        e = torch.exp(x - x.max())
        return e / e.sum(dim=dim, keepdim=True)
        """,
        ("test_softmax_stable",),
        "subtracts the maximum of the whole tensor: rows far below it underflow to 0 / 0",
    ),
    Mutant(
        "softmax_no_keepdim",
        "softmax",
        """
        e = torch.exp(x - x.amax(dim=dim))
        return e / e.sum(dim=dim)
        """,
        ("test_softmax_values",),
        "forgets keepdim=True: the reduced shapes broadcast wrongly (or not at all)",
    ),
    Mutant(
        "softmax_divides_by_max",
        "softmax",
        """
        e = torch.exp(x / x.amax(dim=dim, keepdim=True))
        return e / e.sum(dim=dim, keepdim=True)
        """,
        ("test_softmax_values",),
        "divides by the maximum instead of subtracting it",
    ),
    Mutant(
        "softmax_subtracts_min",
        "softmax",
        """
        e = torch.exp(x - x.amin(dim=dim, keepdim=True))
        return e / e.sum(dim=dim, keepdim=True)
        """,
        ("test_softmax_neg_inf",),
        "subtracts the minimum: -inf - (-inf) is nan",
    ),
    Mutant(
        "softmax_log_probabilities",
        "softmax",
        """
        m = x.amax(dim=dim, keepdim=True)
        return x - m - torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))
        """,
        ("test_softmax_values",),
        "returns log-probabilities (log-softmax) instead of probabilities",
    ),
    # ---- attention_weights -----------------------------------------------------------------------
    Mutant(
        "weights_mask_after_softmax",
        "attention_weights",
        """
        w = softmax((keys * query.unsqueeze(1)).sum(dim=-1), dim=-1)
        return w if mask is None else w.masked_fill(~mask, 0.0)
        """,
        ("test_attention_weights_mask",),
        "zeroes the masked weights after the softmax: rows no longer sum to 1",
    ),
    Mutant(
        "weights_mask_inverted",
        "attention_weights",
        """
        scores = (keys * query.unsqueeze(1)).sum(dim=-1)
        if mask is not None:
            scores = scores.masked_fill(mask, float('-inf'))
        return softmax(scores, dim=-1)
        """,
        ("test_attention_weights_mask",),
        "masks the real tokens and keeps the padding (True read as 'masked')",
    ),
    Mutant(
        "weights_mask_filled_with_zero",
        "attention_weights",
        """
        scores = (keys * query.unsqueeze(1)).sum(dim=-1)
        if mask is not None:
            scores = scores.masked_fill(~mask, 0.0)
        return softmax(scores, dim=-1)
        """,
        ("test_attention_weights_mask",),
        "fills masked scores with 0 instead of -inf: e^0 = 1 is still a weight",
    ),
    Mutant(
        "weights_mask_ignored",
        "attention_weights",
        """
        return softmax((keys * query.unsqueeze(1)).sum(dim=-1), dim=-1)
        """,
        ("test_attention_weights_mask",),
        "ignores the mask",
    ),
    Mutant(
        "weights_scaled_by_sqrt_h",
        "attention_weights",
        """
        scores = (keys * query.unsqueeze(1)).sum(dim=-1) / math.sqrt(query.shape[-1])
        if mask is not None:
            scores = scores.masked_fill(~mask, float('-inf'))
        return softmax(scores, dim=-1)
        """,
        ("test_attention_weights_values",),
        "divides the scores by sqrt(H) (that is notebook 04's scaled attention)",
    ),
    Mutant(
        "weights_softmax_over_batch",
        "attention_weights",
        """
        scores = (keys * query.unsqueeze(1)).sum(dim=-1)
        if mask is not None:
            scores = scores.masked_fill(~mask, float('-inf'))
        return softmax(scores, dim=0)
        """,
        ("test_attention_weights_shape", "test_attention_weights_values"),
        "applies the softmax over the batch axis instead of the keys",
    ),
    Mutant(
        "weights_keys_dot_keys",
        "attention_weights",
        """
        scores = (keys * keys).sum(dim=-1)
        if mask is not None:
            scores = scores.masked_fill(~mask, float('-inf'))
        return softmax(scores, dim=-1)
        """,
        ("test_attention_weights_values",),
        "scores each key against itself instead of against the query",
    ),
    Mutant(
        "weights_built_in_softmax",
        "attention_weights",
        """
        scores = (keys * query.unsqueeze(1)).sum(dim=-1)
        if mask is not None:
            scores = scores.masked_fill(~mask, float('-inf'))
        return torch.softmax(scores, dim=-1)
        """,
        ("test_attention_weights_values",),
        "uses the built-in softmax instead of the one from Exercise 3.1",
    ),
    Mutant(
        "weights_raw_scores",
        "attention_weights",
        """
        scores = (keys * query.unsqueeze(1)).sum(dim=-1)
        if mask is not None:
            scores = scores.masked_fill(~mask, 0.0)
        return scores
        """,
        ("test_attention_weights_shape",),
        "returns the scores without the softmax",
    ),
    # ---- attention_context -----------------------------------------------------------------------
    Mutant(
        "context_sum_wrong_axis",
        "attention_context",
        """
        return (weights.unsqueeze(-1) * values).sum(dim=-1)
        """,
        ("test_attention_context_shape",),
        "sums over the features instead of the source positions",
    ),
    Mutant(
        "context_mean",
        "attention_context",
        """
        return values.mean(dim=1)
        """,
        ("test_attention_context_values",),
        "takes the plain mean of the values",
    ),
    Mutant(
        "context_weights_unused",
        "attention_context",
        """
        return values.sum(dim=1)
        """,
        ("test_attention_context_values", "test_attention_context_one_hot"),
        "sums the values without the weights",
    ),
    Mutant(
        "context_not_summed",
        "attention_context",
        """
        return weights.unsqueeze(-1) * values
        """,
        ("test_attention_context_shape",),
        "returns the weighted values (B, S, H) without summing them",
    ),
    Mutant(
        "context_transposed_matmul",
        "attention_context",
        """
        return torch.bmm(values, weights.unsqueeze(-1)).squeeze(-1)
        """,
        ("test_attention_context_shape", "test_attention_context_one_hot"),
        "multiplies values (B, S, H) by weights (B, S, 1): the wrong axes meet",
    ),
    Mutant(
        "context_mean_of_weighted",
        "attention_context",
        """
        return (weights.unsqueeze(-1) * values).mean(dim=1)
        """,
        ("test_attention_context_values", "test_attention_context_one_hot"),
        "averages the weighted values instead of summing them",
    ),
    Mutant(
        "context_first_sentence_weights",
        "attention_context",
        """
        return (weights[:1].unsqueeze(-1) * values).sum(dim=1)
        """,
        ("test_attention_context_one_hot",),
        "uses the first sentence's weights for the whole batch",
    ),
    # ---- attention_decoder_step ------------------------------------------------------------------
    Mutant(
        "step_detached_weights",
        "attention_decoder_step",
        """
        weights = attention_weights(dec_out, enc_outputs, mask).detach()
        context = attention_context(weights, enc_outputs)
        attentional = torch.tanh(combine(torch.cat([dec_out, context], dim=-1)))
        return output(attentional), weights
        """,
        ("test_attention_decoder_step_values",),
        "detaches the attention weights: the scores get no gradient, attention never learns",
    ),
    Mutant(
        "step_concat_swapped",
        "attention_decoder_step",
        """
        w = attention_weights(dec_out, enc_outputs, mask)
        c = attention_context(w, enc_outputs)
        return output(torch.tanh(combine(torch.cat([c, dec_out], dim=-1)))), w
        """,
        ("test_attention_decoder_step_values",),
        "concatenates [context, dec_out] instead of [dec_out, context]",
    ),
    Mutant(
        "step_no_tanh",
        "attention_decoder_step",
        """
        w = attention_weights(dec_out, enc_outputs, mask)
        c = attention_context(w, enc_outputs)
        return output(combine(torch.cat([dec_out, c], dim=-1))), w
        """,
        ("test_attention_decoder_step_values",),
        "forgets the tanh of the attentional hidden state",
    ),
    Mutant(
        "step_mask_dropped",
        "attention_decoder_step",
        """
        w = attention_weights(dec_out, enc_outputs)
        c = attention_context(w, enc_outputs)
        return output(torch.tanh(combine(torch.cat([dec_out, c], dim=-1)))), w
        """,
        ("test_attention_decoder_step_mask",),
        "does not pass the mask on: padding gets attention",
    ),
    Mutant(
        "step_mean_context",
        "attention_decoder_step",
        """
        w = attention_weights(dec_out, enc_outputs, mask)
        c = enc_outputs.mean(dim=1)
        return output(torch.tanh(combine(torch.cat([dec_out, c], dim=-1)))), w
        """,
        ("test_attention_decoder_step_values", "test_attention_decoder_step_mask"),
        "uses the mean of the encoder outputs instead of the attention context",
    ),
    Mutant(
        "step_returns_probabilities",
        "attention_decoder_step",
        """
        w = attention_weights(dec_out, enc_outputs, mask)
        c = attention_context(w, enc_outputs)
        logits = output(torch.tanh(combine(torch.cat([dec_out, c], dim=-1))))
        return softmax(logits, dim=-1), w
        """,
        ("test_attention_decoder_step_values",),
        "applies a softmax to the logits (the loss does that itself)",
    ),
    Mutant(
        "step_returns_context",
        "attention_decoder_step",
        """
        w = attention_weights(dec_out, enc_outputs, mask)
        c = attention_context(w, enc_outputs)
        return output(torch.tanh(combine(torch.cat([dec_out, c], dim=-1)))), c
        """,
        ("test_attention_decoder_step_shapes",),
        "returns the context where the weights belong",
    ),
    Mutant(
        "step_returns_weights_first",
        "attention_decoder_step",
        """
        w = attention_weights(dec_out, enc_outputs, mask)
        c = attention_context(w, enc_outputs)
        return w, output(torch.tanh(combine(torch.cat([dec_out, c], dim=-1))))
        """,
        ("test_attention_decoder_step_shapes",),
        "returns (weights, logits) instead of (logits, weights)",
    ),
    Mutant(
        "step_skips_combine",
        "attention_decoder_step",
        """
        w = attention_weights(dec_out, enc_outputs, mask)
        c = attention_context(w, enc_outputs)
        return output(torch.tanh(dec_out + c)), w
        """,
        ("test_attention_decoder_step_values",),
        "adds decoder output and context instead of the combine layer",
    ),
    Mutant(
        "step_query_is_context_mean",
        "attention_decoder_step",
        """
        w = attention_weights(enc_outputs.mean(dim=1), enc_outputs, mask)
        c = attention_context(w, enc_outputs)
        return output(torch.tanh(combine(torch.cat([dec_out, c], dim=-1)))), w
        """,
        ("test_attention_decoder_step_values",),
        "scores against the mean encoder output instead of the decoder output",
    ),
    # ---- understanding ---------------------------------------------------------------------------
    Mutant(
        "q1_argmax",
        "understanding",
        """
        answer_1 = 1.0
        answer_2 = "d"
        answer_3 = "b"
        answer_4 = 12
        answer_5 = "a"
        """,
        ("test_understanding_q1",),
        "thinks the softmax gives all the weight to the largest score",
    ),
    Mutant(
        "q1_one_vs_zero",
        "understanding",
        """
        answer_1 = 0.73
        answer_2 = "d"
        answer_3 = "b"
        answer_4 = 12
        answer_5 = "a"
        """,
        ("test_understanding_q1",),
        "computes e / (e + 1), the weight for scores 1 and 0",
    ),
    Mutant(
        "q2_zero_is_fine",
        "understanding",
        """
        answer_1 = 0.88
        answer_2 = 'c'
        answer_3 = "b"
        answer_4 = 12
        answer_5 = "a"
        """,
        ("test_understanding_q2",),
        "thinks a score of 0 gives weight 0",
    ),
    Mutant(
        "q3_diagonal",
        "understanding",
        """
        answer_1 = 0.88
        answer_2 = "d"
        answer_3 = 'c'
        answer_4 = 12
        answer_5 = "a"
        """,
        ("test_understanding_q3",),
        "confuses the anti-diagonal with the diagonal",
    ),
    Mutant(
        "q4_all_pairs",
        "understanding",
        """
        answer_1 = 0.88
        answer_2 = "d"
        answer_3 = "b"
        answer_4 = 144
        answer_5 = "a"
        """,
        ("test_understanding_q4",),
        "counts all pairs of source tokens (that is self-attention, notebook 04)",
    ),
    Mutant(
        "q5_shift_changes_weights",
        "understanding",
        """
        answer_1 = 0.88
        answer_2 = "d"
        answer_3 = "b"
        answer_4 = 12
        answer_5 = 'c'
        """,
        ("test_understanding_q5",),
        "forgets that the softmax normalisation cancels a common factor",
    ),
    Mutant(
        "q2_not_a_letter",
        "understanding",
        """
        answer_1 = 0.88
        answer_2 = 'minus infinity'
        answer_3 = "b"
        answer_4 = 12
        answer_5 = "a"
        """,
        ("test_understanding_q2",),
        "answers in words instead of a letter",
    ),
    # ---- padding_prediction ---------------------------------------------------------------------
    Mutant(
        "pad_zero_score_zero_weight",
        "padding_prediction",
        """
        prediction_padding_weight_6 = 0.0
        prediction_padding_weight_20 = "c"
        """,
        ("test_padding_prediction_length_6",),
        "thinks a score of 0 gives a weight of 0",
    ),
    Mutant(
        "pad_equal_shares",
        "padding_prediction",
        """
        prediction_padding_weight_6 = 0.5
        prediction_padding_weight_20 = "c"
        """,
        ("test_padding_prediction_length_6",),
        "gives every position an equal share, 3 of 6",
    ),
    Mutant(
        "pad_one_share",
        "padding_prediction",
        """
        prediction_padding_weight_6 = 1 / (math.exp(2) + math.exp(1) + 1 + 3)
        prediction_padding_weight_20 = "c"
        """,
        ("test_padding_prediction_length_6",),
        "counts one padding position instead of three",
    ),
    Mutant(
        "pad_forgets_zero_word",
        "padding_prediction",
        """
        prediction_padding_weight_6 = 3 / (math.exp(2) + math.exp(1) + 3)
        prediction_padding_weight_20 = "c"
        """,
        ("test_padding_prediction_length_6",),
        "leaves the word that scores 0 out of the denominator",
    ),
    Mutant(
        "pad_length_independent",
        "padding_prediction",
        """
        prediction_padding_weight_6 = 0.213
        prediction_padding_weight_20 = "a"
        """,
        ("test_padding_prediction_length_20",),
        "thinks the padding's share does not depend on how much padding there is",
    ),
    Mutant(
        "pad_equal_share_20",
        "padding_prediction",
        """
        prediction_padding_weight_6 = 0.213
        prediction_padding_weight_20 = "b"
        """,
        ("test_padding_prediction_length_20",),
        "gives every position an equal share, 17 of 20",
    ),
    Mutant(
        "pad_takes_everything",
        "padding_prediction",
        """
        prediction_padding_weight_6 = 0.213
        prediction_padding_weight_20 = "d"
        """,
        ("test_padding_prediction_length_20",),
        "thinks enough padding takes all the weight",
    ),
]
