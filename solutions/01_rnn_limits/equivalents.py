"""Correct answers to notebook 01 in other styles; each must keep full marks.

Each equivalent carries only what replaces the solution region(s) of its cell (the format of
``autograder/mutants.py``).

Run with ``python -m autograder mutants --assignment 01_rnn_limits``.
"""

from autograder.mutants import Equivalent

EQUIVALENTS = [
    # ---- rnn_step ---------------------------------------------------------------------------
    Equivalent(
        "step_einsum",
        "rnn_step",
        """
        pre = np.einsum("...i,ih->...h", x_t, W_xh) + np.einsum("...j,jh->...h", h_prev, W_hh)
        return np.tanh(pre + b_h)
        """,
        "einsum",
    ),
    Equivalent(
        "step_np_dot",
        "rnn_step",
        """
        pre_activation = np.dot(x_t, W_xh) + np.dot(h_prev, W_hh) + b_h
        return np.tanh(pre_activation)
        """,
        "np.dot, named intermediate",
    ),
    Equivalent(
        "step_tanh_from_exp",
        "rnn_step",
        """
        a = x_t @ W_xh + h_prev @ W_hh + b_h
        with np.errstate(over="ignore"):
            return 1.0 - 2.0 / (np.exp(2.0 * a) + 1.0)  # tanh(a), written out
        """,
        "tanh from its definition",
    ),
    # ---- rnn_forward ------------------------------------------------------------------------
    Equivalent(
        "forward_preallocated",
        "rnn_forward",
        """
        hs = np.zeros((len(xs), h0.shape[-1]))
        h = h0
        for t in range(len(xs)):
            h = rnn_step(xs[t], h, W_xh, W_hh, b_h)
            hs[t] = h
        return hs, h
        """,
        "preallocated array, index loop",
    ),
    Equivalent(
        "forward_input_projection_first",
        "rnn_forward",
        """
        x_proj = xs @ W_xh + b_h  # (T, hidden): the part that does not depend on h, d2l style
        h = h0
        hs = np.empty((len(xs), h0.shape[-1]))
        for t, x_t in enumerate(x_proj):
            h = np.tanh(x_t + h @ W_hh)
            hs[t] = h
        return hs, h
        """,
        "inputs projected for all steps at once",
    ),
    Equivalent(
        "forward_accumulate",
        "rnn_forward",
        """
        import itertools

        states = list(
            itertools.accumulate(xs, lambda h, x: rnn_step(x, h, W_xh, W_hh, b_h), initial=h0)
        )
        hs = np.array(states[1:]).reshape(len(xs), h0.shape[-1])
        return hs, states[-1]
        """,
        "functional: itertools.accumulate",
    ),
    # ---- gradient_norms_through_time --------------------------------------------------------
    Equivalent(
        "grad_backward",
        "gradient_norms_through_time",
        """
        x = xs.clone().detach().requires_grad_()
        out, _ = rnn(x)
        out[:, -1, :].sum().backward()
        rnn.zero_grad(set_to_none=True)  # leave the model's gradients as they were
        return x.grad.norm(dim=(0, 2)).detach()
        """,
        ".backward() and x.grad",
    ),
    Equivalent(
        "grad_per_step_loop",
        "gradient_norms_through_time",
        """
        x = xs.detach().clone()
        x.requires_grad_(True)
        with torch.enable_grad():
            out, _ = rnn(x)
            grad = torch.autograd.grad(out[:, -1].sum(), [x])[0]
        return torch.stack([grad[:, t].norm() for t in range(x.shape[1])]).detach()
        """,
        "one norm per step in a loop",
    ),
    Equivalent(
        "grad_vector_norm",
        "gradient_norms_through_time",
        """
        x = xs.detach().requires_grad_()
        last = rnn(x)[0][:, -1, :]
        (grad,) = torch.autograd.grad(last, x, grad_outputs=torch.ones_like(last))
        return torch.linalg.vector_norm(grad, dim=(0, 2))
        """,
        "grad_outputs of ones, torch.linalg.vector_norm",
    ),
    # ---- encode_context ---------------------------------------------------------------------
    Equivalent(
        "encode_one_sequence_at_a_time",
        "encode_context",
        """
        hs, cs = [], []
        for b in range(src.shape[0]):
            tokens = src[b : b + 1, : int(src_lens[b])]  # (1, len_b), no padding
            _, (h, c) = encoder(embedding(tokens))
            hs.append(h)
            cs.append(c)
        return torch.cat(hs, dim=1), torch.cat(cs, dim=1)
        """,
        "a loop over the batch, no packing",
    ),
    Equivalent(
        "encode_sort_then_unsort",
        "encode_context",
        """
        lens, order = torch.sort(src_lens, descending=True)
        packed = pack_padded_sequence(embedding(src[order]), lens, batch_first=True)
        _, (h, c) = encoder(packed)
        restore = torch.argsort(order)
        return h[:, restore], c[:, restore]
        """,
        "sorted packing (enforce_sorted=True), then unsorted by hand",
    ),
    Equivalent(
        "encode_masked_steps",
        "encode_context",
        """
        emb = embedding(src)  # (B, S, emb)
        batch = src.shape[0]
        h = emb.new_zeros(1, batch, encoder.hidden_size)
        c = emb.new_zeros(1, batch, encoder.hidden_size)
        for t in range(src.shape[1]):
            _, (h_next, c_next) = encoder(emb[:, t : t + 1], (h, c))
            real = (t < src_lens).view(1, batch, 1)  # keep the old state after the end
            h = torch.where(real, h_next, h)
            c = torch.where(real, c_next, c)
        return h, c
        """,
        "step by step, state frozen by a mask after each sequence's end",
    ),
    # ---- greedy_decode ----------------------------------------------------------------------
    Equivalent(
        "greedy_preallocated",
        "greedy_decode",
        """
        with torch.no_grad():
            state = model.encode(src, src_lens)
            batch = src.shape[0]
            out = torch.empty(batch, max_len, dtype=torch.long, device=src.device)
            token = torch.full((batch,), SOS, dtype=torch.long, device=src.device)
            for t in range(max_len):
                logits, state = model.step(token, state)
                token = torch.argmax(logits, dim=1)
                out[:, t] = token
        return out
        """,
        "preallocated output tensor",
    ),
    Equivalent(
        "greedy_topk",
        "greedy_decode",
        """
        with torch.no_grad():
            state = model.encode(src, src_lens)
            token = torch.full_like(src[:, 0], SOS)
            steps = []
            for _ in range(max_len):
                logits, state = model.step(token, state)
                token = logits.topk(1, dim=-1).indices.squeeze(-1)
                steps.append(token.unsqueeze(1))
            return torch.cat(steps, dim=1)
        """,
        "topk(1) and torch.cat",
    ),
    Equivalent(
        "greedy_inference_mode",
        "greedy_decode",
        """
        with torch.inference_mode():
            state = model.encode(src, src_lens)
            tokens = [torch.full((len(src),), SOS, dtype=torch.long, device=src.device)]
            for _ in range(max_len):
                logits, state = model.step(tokens[-1], state)
                tokens.append(logits.max(dim=-1).indices)
            return torch.stack(tokens[1:], dim=1).clone()
        """,
        "torch.inference_mode, max(...).indices",
    ),
    # ---- understanding ----------------------------------------------------------------------
    Equivalent(
        "quiz_expressions",
        "understanding",
        """
        import math

        answer_1 = 2**7
        answer_2 = "b"
        answer_3 = math.pow(0.6, 20)
        answer_4 = "a"
        answer_5 = "d"
        """,
        "numbers as expressions",
    ),
    Equivalent(
        "quiz_numpy_scalars",
        "understanding",
        """
        answer_1 = np.int64(128)
        answer_2 = "b"
        answer_3 = np.prod(np.full(20, 0.6))
        answer_4 = "a"
        answer_5 = "d"
        """,
        "numpy scalars",
    ),
    Equivalent(
        "quiz_rounded_floats",
        "understanding",
        """
        answer_1 = 128.0
        answer_2 = "b"
        answer_3 = 3.66e-5
        answer_4 = "a"
        answer_5 = "d"
        """,
        "floats, rounded to three figures",
    ),
    # ---- position_prediction ----------------------------------------------------------------
    Equivalent(
        "pos_float_upper",
        "position_prediction",
        """
        prediction_first_position_percent = 90.0
        prediction_position_trend = "A"
        """,
        "a float, a round guess, an upper-case letter",
    ),
    Equivalent(
        "pos_numpy",
        "position_prediction",
        """
        prediction_first_position_percent = np.float64(100 * 0.97)
        prediction_position_trend = ' a '
        """,
        "a numpy float64 from a fraction; spaces around the letter",
    ),
    Equivalent(
        "pos_int_expression",
        "position_prediction",
        """
        prediction_first_position_percent = 100 - 5
        prediction_position_trend = 'a'
        """,
        "an int expression",
    ),
    Equivalent(
        "pos_torch_item",
        "position_prediction",
        """
        prediction_first_position_percent = torch.tensor(99.0).item()
        prediction_position_trend = "a"
        """,
        "a torch scalar's .item(), near-perfect",
    ),
]
