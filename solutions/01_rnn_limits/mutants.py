"""Common wrong answers to notebook 01; each must lose points on the test cell it names.

Each mutant carries only what replaces the solution region(s) of its cell, the lines
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (a tuple, one string per region, for a
cell with several); the harness splices it into the notebook's current cell, so the given
code is never copied here.

Run with ``python -m autograder mutants --assignment 01_rnn_limits``.
"""

from autograder.mutants import Mutant

MUTANTS = [
    # ---- rnn_step --------------------------------------------------------------------------------
    Mutant(
        "step_no_tanh",
        "rnn_step",
        """
        return x_t @ W_xh + h_prev @ W_hh + b_h
        """,
        ("test_rnn_step_values",),
        "forgets the nonlinearity",
    ),
    Mutant(
        "step_sigmoid",
        "rnn_step",
        """
        return 1 / (1 + np.exp(-(x_t @ W_xh + h_prev @ W_hh + b_h)))
        """,
        ("test_rnn_step_values",),
        "uses a sigmoid instead of tanh",
    ),
    Mutant(
        "step_relu",
        "rnn_step",
        """
        return np.maximum(0.0, x_t @ W_xh + h_prev @ W_hh + b_h)
        """,
        ("test_rnn_step_values",),
        "uses a ReLU instead of tanh",
    ),
    Mutant(
        "step_W_hh_transposed",
        "rnn_step",
        """
        return np.tanh(x_t @ W_xh + h_prev @ W_hh.T + b_h)
        """,
        ("test_rnn_step_values",),
        "multiplies by W_hh transposed (torch's weight_hh layout)",
    ),
    Mutant(
        "step_no_bias",
        "rnn_step",
        """
        return np.tanh(x_t @ W_xh + h_prev @ W_hh)
        """,
        ("test_rnn_step_values",),
        "forgets the bias",
    ),
    Mutant(
        "step_ignores_h_prev",
        "rnn_step",
        """
        return np.tanh(x_t @ W_xh + b_h)
        """,
        ("test_rnn_step_values",),
        "ignores the previous state",
    ),
    Mutant(
        "step_tanh_on_input_only",
        "rnn_step",
        """
        return np.tanh(x_t @ W_xh) + h_prev @ W_hh + b_h
        """,
        ("test_rnn_step_values",),
        "squashes only the input term",
    ),
    Mutant(
        "step_flattened_dot",
        "rnn_step",
        """
        return np.tanh(np.dot(x_t.ravel(), W_xh) + np.dot(h_prev.ravel(), W_hh) + b_h)
        """,
        ("test_rnn_step_shape",),
        "flattens the batch: works for one sequence only",
    ),
    # ---- rnn_forward -----------------------------------------------------------------------------
    Mutant(
        "fwd_state_not_carried",
        "rnn_forward",
        """
        hs = np.stack([rnn_step(x, h0, W_xh, W_hh, b_h) for x in xs])
        return hs, hs[-1]
        """,
        ("test_rnn_forward_values",),
        "starts every step from h0 instead of the previous state",
    ),
    Mutant(
        "fwd_includes_h0",
        "rnn_forward",
        """
        hs = [h0]
        for x in xs:
            hs.append(rnn_step(x, hs[-1], W_xh, W_hh, b_h))
        hs = np.stack(hs)
        return hs, hs[-1]
        """,
        ("test_rnn_forward_shape",),
        "stores h0 as the first row (T + 1 rows)",
    ),
    Mutant(
        "fwd_state_before_step",
        "rnn_forward",
        """
        h, hs = h0, []
        for x in xs:
            hs.append(h)
            h = rnn_step(x, h, W_xh, W_hh, b_h)
        return np.stack(hs), h
        """,
        ("test_rnn_forward_values",),
        "off by one: stores the state before each step",
    ),
    Mutant(
        "fwd_reversed",
        "rnn_forward",
        """
        h, hs = h0, []
        for x in xs:
            h = rnn_step(x, h, W_xh, W_hh, b_h)
            hs.append(h)
        return np.stack(hs[::-1]), h
        """,
        ("test_rnn_forward_values",),
        "returns the states in reverse order",
    ),
    Mutant(
        "fwd_last_is_first",
        "rnn_forward",
        """
        h, hs = h0, []
        for x in xs:
            h = rnn_step(x, h, W_xh, W_hh, b_h)
            hs.append(h)
        hs = np.stack(hs)
        return hs, hs[0]
        """,
        ("test_rnn_forward_last",),
        "h_last = hs[0]",
    ),
    Mutant(
        "fwd_stack_axis_1",
        "rnn_forward",
        """
        h, hs = h0, []
        for x in xs:
            h = rnn_step(x, h, W_xh, W_hh, b_h)
            hs.append(h)
        return np.stack(hs, axis=1), h
        """,
        ("test_rnn_forward_shape",),
        "stacks along the wrong axis: (hidden, T)",
    ),
    Mutant(
        "fwd_first_input_every_step",
        "rnn_forward",
        """
        h, hs = h0, []
        for _ in range(len(xs)):
            h = rnn_step(xs[0], h, W_xh, W_hh, b_h)
            hs.append(h)
        return np.stack(hs), h
        """,
        ("test_rnn_forward_values",),
        "reads xs[0] at every step",
    ),
    Mutant(
        "fwd_reads_backwards",
        "rnn_forward",
        """
        h, hs = h0, []
        for x in xs[::-1]:
            h = rnn_step(x, h, W_xh, W_hh, b_h)
            hs.append(h)
        return np.stack(hs), h
        """,
        ("test_rnn_forward_values",),
        "reads the sequence from the end",
    ),
    Mutant(
        "fwd_empty_crashes",
        "rnn_forward",
        """
        h, hs = h0, []
        for x in xs:
            h = rnn_step(x, h, W_xh, W_hh, b_h)
            hs.append(h)
        return np.stack(hs), h
        """,
        ("test_rnn_forward_shape",),
        "no case for the empty sequence (np.stack of nothing)",
    ),
    # ---- gradient_norms_through_time -------------------------------------------------------------
    Mutant(
        "grad_all_steps",
        "gradient_norms_through_time",
        """
        x = xs.clone().requires_grad_(True)
        out, _ = rnn(x)
        (g,) = torch.autograd.grad(out.sum(), x)
        return g.pow(2).sum(dim=(0, 2)).sqrt()
        """,
        ("test_gradient_norms_through_time_values",),
        "differentiates the outputs of all steps, not the last one",
    ),
    Mutant(
        "grad_first_sample_only",
        "gradient_norms_through_time",
        """
        x = xs.clone().requires_grad_(True)
        out, _ = rnn(x)
        (g,) = torch.autograd.grad(out[:, -1, :].sum(), x)
        return g[0].norm(dim=-1)
        """,
        ("test_gradient_norms_through_time_values",),
        "takes the norm of the first batch element only",
    ),
    Mutant(
        "grad_sum_of_sample_norms",
        "gradient_norms_through_time",
        """
        x = xs.clone().requires_grad_(True)
        out, _ = rnn(x)
        (g,) = torch.autograd.grad(out[:, -1, :].sum(), x)
        return g.norm(dim=2).sum(dim=0)
        """,
        ("test_gradient_norms_through_time_values",),
        "norm per batch element, then summed, instead of one norm over the batch",
    ),
    Mutant(
        "grad_by_distance",
        "gradient_norms_through_time",
        """
        x = xs.clone().requires_grad_(True)
        out, _ = rnn(x)
        (g,) = torch.autograd.grad(out[:, -1, :].sum(), x)
        return g.pow(2).sum(dim=(0, 2)).sqrt().flip(0)
        """,
        ("test_gradient_norms_through_time_values",),
        "indexes by distance from the end instead of by input step",
    ),
    Mutant(
        "grad_mean_abs",
        "gradient_norms_through_time",
        """
        x = xs.clone().requires_grad_(True)
        out, _ = rnn(x)
        (g,) = torch.autograd.grad(out[:, -1, :].sum(), x)
        return g.abs().mean(dim=(0, 2))
        """,
        ("test_gradient_norms_through_time_values",),
        "mean absolute value instead of the L2 norm",
    ),
    Mutant(
        "grad_squared_norm",
        "gradient_norms_through_time",
        """
        x = xs.clone().requires_grad_(True)
        out, _ = rnn(x)
        (g,) = torch.autograd.grad(out[:, -1, :].sum(), x)
        return g.pow(2).sum(dim=(0, 2))
        """,
        ("test_gradient_norms_through_time_values",),
        "forgets the square root",
    ),
    Mutant(
        "grad_first_layer_state",
        "gradient_norms_through_time",
        """
        x = xs.clone().requires_grad_(True)
        _, h_n = rnn(x)
        if isinstance(h_n, tuple):
            h_n = h_n[0]
        (g,) = torch.autograd.grad(h_n[0].sum(), x)
        return g.pow(2).sum(dim=(0, 2)).sqrt()
        """,
        ("test_gradient_norms_through_time_values",),
        "uses h_n[0], the FIRST layer's final state, instead of the last layer's output",
    ),
    Mutant(
        "grad_modifies_xs",
        "gradient_norms_through_time",
        """
        xs.requires_grad_(True)
        out, _ = rnn(xs)
        out[:, -1, :].sum().backward()
        return xs.grad.pow(2).sum(dim=(0, 2)).sqrt()
        """,
        ("test_gradient_norms_through_time_no_side_effects",),
        "sets requires_grad on the caller's tensor and leaves a .grad on it",
    ),
    # ---- encode_context --------------------------------------------------------------------------
    Mutant(
        "enc_no_packing",
        "encode_context",
        """
        _, (h, c) = encoder(embedding(src))
        return h, c
        """,
        ("test_encode_context_padding",),
        "runs the LSTM over the pads: the state after the padding",
    ),
    Mutant(
        "enc_last_output_as_h",
        "encode_context",
        """
        out, (h, c) = encoder(embedding(src))
        return out[:, -1][None], c
        """,
        ("test_encode_context_padding",),
        "takes the output at the last padded position as h",
    ),
    Mutant(
        "enc_gather_h_only",
        "encode_context",
        """
        out, (h, c) = encoder(embedding(src))
        last = out[torch.arange(src.shape[0]), src_lens - 1]
        return last[None], c
        """,
        ("test_encode_context_padding",),
        "picks h at the right step from the outputs, but c after the pads",
    ),
    Mutant(
        "enc_h_twice",
        "encode_context",
        """
    packed = pack_padded_sequence(embedding(src), src_lens, batch_first=True, enforce_sorted=False)
    _, (h, c) = encoder(packed)
    return h, h
        """,
        ("test_encode_context_equal_lengths",),
        "returns (h, h) instead of (h, c)",
    ),
    Mutant(
        "enc_off_by_one",
        "encode_context",
        """
        lens = (src_lens - 1).clamp(min=1)
        packed = pack_padded_sequence(embedding(src), lens, batch_first=True, enforce_sorted=False)
        _, (h, c) = encoder(packed)
        return h, c
        """,
        ("test_encode_context_equal_lengths", "test_encode_context_padding"),
        "stops one token early (the state after the second-to-last token)",
    ),
    Mutant(
        "enc_enforce_sorted",
        "encode_context",
        """
        packed = pack_padded_sequence(embedding(src), src_lens, batch_first=True)
        _, (h, c) = encoder(packed)
        return h, c
        """,
        ("test_encode_context_padding",),
        "keeps enforce_sorted=True: fails on a batch whose lengths are not decreasing",
    ),
    Mutant(
        "enc_only_h",
        "encode_context",
        """
    packed = pack_padded_sequence(embedding(src), src_lens, batch_first=True, enforce_sorted=False)
    _, (h, c) = encoder(packed)
    return h
        """,
        ("test_encode_context_shape",),
        "returns only h",
    ),
    Mutant(
        "enc_squeezed",
        "encode_context",
        """
    packed = pack_padded_sequence(embedding(src), src_lens, batch_first=True, enforce_sorted=False)
    _, (h, c) = encoder(packed)
    return h[0], c[0]
        """,
        ("test_encode_context_shape",),
        "squeezes the layer dimension: (B, hidden)",
    ),
    Mutant(
        "enc_no_embedding",
        "encode_context",
        """
        packed = pack_padded_sequence(src, src_lens, batch_first=True, enforce_sorted=False)
        _, (h, c) = encoder(packed)
        return h, c
        """,
        ("test_encode_context_shape", "test_encode_context_padding"),
        "forgets the embedding (the LSTM is fed token ids)",
    ),
    # ---- greedy_decode ---------------------------------------------------------------------------
    Mutant(
        "greedy_always_sos",
        "greedy_decode",
        """
        with torch.no_grad():
            state = model.encode(src, src_lens)
            tokens = torch.full((src.shape[0],), SOS, dtype=torch.long)
            outs = []
            for _ in range(max_len):
                logits, state = model.step(torch.full_like(tokens, SOS), state)
                tokens = logits.argmax(dim=-1)
                outs.append(tokens)
            return torch.stack(outs, dim=1)
        """,
        ("test_greedy_decode_feeds_back", "test_greedy_decode_real_model"),
        "feeds SOS at every step instead of the previous prediction",
    ),
    Mutant(
        "greedy_starts_with_pad",
        "greedy_decode",
        """
        with torch.no_grad():
            state = model.encode(src, src_lens)
            tokens = torch.full((src.shape[0],), PAD, dtype=torch.long)
            outs = []
            for _ in range(max_len):
                logits, state = model.step(tokens, state)
                tokens = logits.argmax(dim=-1)
                outs.append(tokens)
            return torch.stack(outs, dim=1)
        """,
        ("test_greedy_decode_feeds_back",),
        "starts from PAD instead of SOS",
    ),
    Mutant(
        "greedy_feeds_zeros",
        "greedy_decode",
        """
        with torch.no_grad():
            state = model.encode(src, src_lens)
            tokens = torch.full((src.shape[0],), SOS, dtype=torch.long)
            outs = []
            for _ in range(max_len):
                logits, state = model.step(torch.zeros_like(tokens), state)
                tokens = logits.argmax(dim=-1)
                outs.append(tokens)
            return torch.stack(outs, dim=1)
        """,
        ("test_greedy_decode_feeds_back",),
        "feeds zeros instead of the previous prediction",
    ),
    Mutant(
        "greedy_state_not_carried",
        "greedy_decode",
        """
        with torch.no_grad():
            state = model.encode(src, src_lens)
            tokens = torch.full((src.shape[0],), SOS, dtype=torch.long)
            outs = []
            for _ in range(max_len):
                logits, _ = model.step(tokens, state)
                tokens = logits.argmax(dim=-1)
                outs.append(tokens)
            return torch.stack(outs, dim=1)
        """,
        ("test_greedy_decode_state", "test_greedy_decode_real_model"),
        "drops the new state: every step starts from the context again",
    ),
    Mutant(
        "greedy_reencodes_each_step",
        "greedy_decode",
        """
        with torch.no_grad():
            tokens = torch.full((src.shape[0],), SOS, dtype=torch.long)
            outs = []
            for _ in range(max_len):
                state = model.encode(src, src_lens)
                logits, state = model.step(tokens, state)
                tokens = logits.argmax(dim=-1)
                outs.append(tokens)
            return torch.stack(outs, dim=1)
        """,
        ("test_greedy_decode_state",),
        "re-encodes the source at every step",
    ),
    Mutant(
        "greedy_includes_sos",
        "greedy_decode",
        """
        with torch.no_grad():
            state = model.encode(src, src_lens)
            tokens = torch.full((src.shape[0],), SOS, dtype=torch.long)
            outs = [tokens]
            for _ in range(max_len - 1):
                logits, state = model.step(tokens, state)
                tokens = logits.argmax(dim=-1)
                outs.append(tokens)
            return torch.stack(outs, dim=1)
        """,
        ("test_greedy_decode_feeds_back",),
        "off by one: SOS is the first output token",
    ),
    Mutant(
        "greedy_sos_plus_max_len",
        "greedy_decode",
        """
        with torch.no_grad():
            state = model.encode(src, src_lens)
            tokens = torch.full((src.shape[0],), SOS, dtype=torch.long)
            outs = [tokens]
            for _ in range(max_len):
                logits, state = model.step(tokens, state)
                tokens = logits.argmax(dim=-1)
                outs.append(tokens)
            return torch.stack(outs, dim=1)
        """,
        ("test_greedy_decode_shape",),
        "returns SOS plus max_len tokens",
    ),
    Mutant(
        "greedy_argmax_batch_axis",
        "greedy_decode",
        """
        with torch.no_grad():
            state = model.encode(src, src_lens)
            tokens = torch.full((src.shape[0],), SOS, dtype=torch.long)
            outs = []
            for _ in range(max_len):
                logits, state = model.step(tokens, state)
                tokens = logits.argmax(dim=0)
                outs.append(tokens)
            return torch.stack(outs, dim=1)
        """,
        ("test_greedy_decode_shape", "test_greedy_decode_feeds_back"),
        "takes the argmax over the batch axis",
    ),
    Mutant(
        "greedy_returns_logits",
        "greedy_decode",
        """
        with torch.no_grad():
            state = model.encode(src, src_lens)
            tokens = torch.full((src.shape[0],), SOS, dtype=torch.long)
            outs = []
            for _ in range(max_len):
                logits, state = model.step(tokens, state)
                tokens = logits.argmax(dim=-1)
                outs.append(logits)
            return torch.stack(outs, dim=1)
        """,
        ("test_greedy_decode_shape",),
        "returns the logits instead of token ids",
    ),
    Mutant(
        "greedy_no_no_grad",
        "greedy_decode",
        """
        state = model.encode(src, src_lens)
        tokens = torch.full((src.shape[0],), SOS, dtype=torch.long)
        outs = []
        for _ in range(max_len):
            logits, state = model.step(tokens, state)
            tokens = logits.argmax(dim=-1)
            outs.append(tokens)
        return torch.stack(outs, dim=1)
        """,
        ("test_greedy_decode_state",),
        "decodes with gradients enabled",
    ),
    # ---- understanding ---------------------------------------------------------------------------
    Mutant(
        "q1_h_only",
        "understanding",
        """
        answer_1 = 64
        answer_2 = "b"
        answer_3 = 0.6**20
        answer_4 = "a"
        answer_5 = "d"
        """,
        ("test_understanding_q1",),
        "forgets the cell state c",
    ),
    Mutant(
        "q1_grows_with_length",
        "understanding",
        """
        answer_1 = 24 * 128
        answer_2 = "b"
        answer_3 = 0.6**20
        answer_4 = "a"
        answer_5 = "d"
        """,
        ("test_understanding_q1",),
        "thinks the context grows with the source",
    ),
    Mutant(
        "q2_bounded_state",
        "understanding",
        """
        answer_1 = 128
        answer_2 = 'c'
        answer_3 = 0.6**20
        answer_4 = "a"
        answer_5 = "d"
        """,
        ("test_understanding_q2",),
        "confuses a bounded state with a vanishing gradient",
    ),
    Mutant(
        "q3_sum_not_product",
        "understanding",
        """
        answer_1 = 128
        answer_2 = "b"
        answer_3 = 0.6 * 20
        answer_4 = "a"
        answer_5 = "d"
        """,
        ("test_understanding_q3",),
        "multiplies by 20 instead of raising to the 20th power",
    ),
    Mutant(
        "q3_off_by_one",
        "understanding",
        """
        answer_1 = 128
        answer_2 = "b"
        answer_3 = 0.6**19
        answer_4 = "a"
        answer_5 = "d"
        """,
        ("test_understanding_q3",),
        "counts 19 Jacobians",
    ),
    Mutant(
        "q4_erases",
        "understanding",
        """
        answer_1 = 128
        answer_2 = "b"
        answer_3 = 0.6**20
        answer_4 = 'b'
        answer_5 = "d"
        """,
        ("test_understanding_q4",),
        "thinks a forget gate of 1 forgets",
    ),
    Mutant(
        "q5_first_positions",
        "understanding",
        """
        answer_1 = 128
        answer_2 = "b"
        answer_3 = 0.6**20
        answer_4 = "a"
        answer_5 = 'a'
        """,
        ("test_understanding_q5",),
        "thinks the first target symbols are the hardest",
    ),
    Mutant(
        "q5_not_a_letter",
        "understanding",
        """
        answer_1 = 128
        answer_2 = "b"
        answer_3 = 0.6**20
        answer_4 = "a"
        answer_5 = 'the later ones'
        """,
        ("test_understanding_q5",),
        "answers in words instead of a letter",
    ),
    # ---- position_prediction --------------------------------------------------------------------
    Mutant(
        "pos_average",
        "position_prediction",
        """
        prediction_first_position_percent = 46
        prediction_position_trend = "a"
        """,
        ("test_position_prediction_first",),
        "expects every position to get the overall 46%",
    ),
    Mutant(
        "pos_chance",
        "position_prediction",
        """
        prediction_first_position_percent = 10
        prediction_position_trend = "a"
        """,
        ("test_position_prediction_first",),
        "expects the first copy to be a guess",
    ),
    Mutant(
        "pos_fraction",
        "position_prediction",
        """
        prediction_first_position_percent = 0.95
        prediction_position_trend = "a"
        """,
        ("test_position_prediction_first",),
        "writes a fraction where a percentage is asked",
    ),
    Mutant(
        "pos_first_read_is_best",
        "position_prediction",
        """
        prediction_first_position_percent = 33
        prediction_position_trend = "a"
        """,
        ("test_position_prediction_first",),
        "thinks the first target copies the first source symbol",
    ),
    Mutant(
        "pos_level",
        "position_prediction",
        """
        prediction_first_position_percent = 95
        prediction_position_trend = "b"
        """,
        ("test_position_prediction_trend",),
        "thinks every position is equally hard, decoded from one context",
    ),
    Mutant(
        "pos_rises",
        "position_prediction",
        """
        prediction_first_position_percent = 95
        prediction_position_trend = "c"
        """,
        ("test_position_prediction_trend",),
        "expects the decoder to improve as it writes",
    ),
    Mutant(
        "pos_falls_to_chance",
        "position_prediction",
        """
        prediction_first_position_percent = 95
        prediction_position_trend = "d"
        """,
        ("test_position_prediction_trend",),
        "thinks the early symbols are lost completely",
    ),
]
