"""Common wrong answers to notebook 01; each must lose points on the test cell it names.

Run with ``python -m autograder mutants --assignment 01_rnn_limits``.
"""

from autograder.mutants import Mutant


def _step(body: str) -> str:
    return f"import numpy as np\ndef rnn_step(x_t, h_prev, W_xh, W_hh, b_h):\n    return {body}\n"


def _forward(body: str) -> str:
    return "import numpy as np\ndef rnn_forward(xs, h0, W_xh, W_hh, b_h):\n" + body


def _grad(body: str) -> str:
    return "import torch\ndef gradient_norms_through_time(rnn, xs):\n" + body


def _encode(body: str) -> str:
    return (
        "import torch\n"
        "from torch.nn.utils.rnn import pack_padded_sequence\n"
        "def encode_context(embedding, encoder, src, src_lens):\n" + body
    )


def _greedy(body: str) -> str:
    return (
        "import torch\n"
        "from course_lib.data import PAD, SOS\n"
        "def greedy_decode(model, src, src_lens, max_len):\n" + body
    )


_GREEDY_LOOP = (
    "    with torch.no_grad():\n"
    "        state = model.encode(src, src_lens)\n"
    "        tokens = torch.full((src.shape[0],), {first}, dtype=torch.long)\n"
    "        outs = []\n"
    "        for _ in range(max_len):\n"
    "            logits, {new_state} = model.step({fed}, state)\n"
    "            tokens = logits.argmax(dim={dim})\n"
    "            outs.append({kept})\n"
    "        return torch.stack(outs, dim=1)\n"
)


def _greedy_loop(first="SOS", new_state="state", fed="tokens", dim="-1", kept="tokens") -> str:
    return _greedy(
        _GREEDY_LOOP.format(first=first, new_state=new_state, fed=fed, dim=dim, kept=kept)
    )


MUTANTS = [
    # ---- rnn_step ---------------------------------------------------------------------------
    Mutant(
        "step_no_tanh",
        "rnn_step",
        _step("x_t @ W_xh + h_prev @ W_hh + b_h"),
        ("test_rnn_step_values",),
        "forgets the nonlinearity",
    ),
    Mutant(
        "step_sigmoid",
        "rnn_step",
        _step("1 / (1 + np.exp(-(x_t @ W_xh + h_prev @ W_hh + b_h)))"),
        ("test_rnn_step_values",),
        "uses a sigmoid instead of tanh",
    ),
    Mutant(
        "step_relu",
        "rnn_step",
        _step("np.maximum(0.0, x_t @ W_xh + h_prev @ W_hh + b_h)"),
        ("test_rnn_step_values",),
        "uses a ReLU instead of tanh",
    ),
    Mutant(
        "step_W_hh_transposed",
        "rnn_step",
        _step("np.tanh(x_t @ W_xh + h_prev @ W_hh.T + b_h)"),
        ("test_rnn_step_values",),
        "multiplies by W_hh transposed (torch's weight_hh layout)",
    ),
    Mutant(
        "step_no_bias",
        "rnn_step",
        _step("np.tanh(x_t @ W_xh + h_prev @ W_hh)"),
        ("test_rnn_step_values",),
        "forgets the bias",
    ),
    Mutant(
        "step_ignores_h_prev",
        "rnn_step",
        _step("np.tanh(x_t @ W_xh + b_h)"),
        ("test_rnn_step_values",),
        "ignores the previous state",
    ),
    Mutant(
        "step_tanh_on_input_only",
        "rnn_step",
        _step("np.tanh(x_t @ W_xh) + h_prev @ W_hh + b_h"),
        ("test_rnn_step_values",),
        "squashes only the input term",
    ),
    Mutant(
        "step_flattened_dot",
        "rnn_step",
        _step("np.tanh(np.dot(x_t.ravel(), W_xh) + np.dot(h_prev.ravel(), W_hh) + b_h)"),
        ("test_rnn_step_shape",),
        "flattens the batch: works for one sequence only",
    ),
    # ---- rnn_forward ------------------------------------------------------------------------
    Mutant(
        "fwd_state_not_carried",
        "rnn_forward",
        _forward(
            "    hs = np.stack([rnn_step(x, h0, W_xh, W_hh, b_h) for x in xs])\n"
            "    return hs, hs[-1]\n"
        ),
        ("test_rnn_forward_values",),
        "starts every step from h0 instead of the previous state",
    ),
    Mutant(
        "fwd_includes_h0",
        "rnn_forward",
        _forward(
            "    hs = [h0]\n"
            "    for x in xs:\n"
            "        hs.append(rnn_step(x, hs[-1], W_xh, W_hh, b_h))\n"
            "    hs = np.stack(hs)\n"
            "    return hs, hs[-1]\n"
        ),
        ("test_rnn_forward_shape",),
        "stores h0 as the first row (T + 1 rows)",
    ),
    Mutant(
        "fwd_state_before_step",
        "rnn_forward",
        _forward(
            "    h, hs = h0, []\n"
            "    for x in xs:\n"
            "        hs.append(h)\n"
            "        h = rnn_step(x, h, W_xh, W_hh, b_h)\n"
            "    return np.stack(hs), h\n"
        ),
        ("test_rnn_forward_values",),
        "off by one: stores the state before each step",
    ),
    Mutant(
        "fwd_reversed",
        "rnn_forward",
        _forward(
            "    h, hs = h0, []\n"
            "    for x in xs:\n"
            "        h = rnn_step(x, h, W_xh, W_hh, b_h)\n"
            "        hs.append(h)\n"
            "    return np.stack(hs[::-1]), h\n"
        ),
        ("test_rnn_forward_values",),
        "returns the states in reverse order",
    ),
    Mutant(
        "fwd_last_is_first",
        "rnn_forward",
        _forward(
            "    h, hs = h0, []\n"
            "    for x in xs:\n"
            "        h = rnn_step(x, h, W_xh, W_hh, b_h)\n"
            "        hs.append(h)\n"
            "    hs = np.stack(hs)\n"
            "    return hs, hs[0]\n"
        ),
        ("test_rnn_forward_last",),
        "h_last = hs[0]",
    ),
    Mutant(
        "fwd_stack_axis_1",
        "rnn_forward",
        _forward(
            "    h, hs = h0, []\n"
            "    for x in xs:\n"
            "        h = rnn_step(x, h, W_xh, W_hh, b_h)\n"
            "        hs.append(h)\n"
            "    return np.stack(hs, axis=1), h\n"
        ),
        ("test_rnn_forward_shape",),
        "stacks along the wrong axis: (hidden, T)",
    ),
    Mutant(
        "fwd_first_input_every_step",
        "rnn_forward",
        _forward(
            "    h, hs = h0, []\n"
            "    for _ in range(len(xs)):\n"
            "        h = rnn_step(xs[0], h, W_xh, W_hh, b_h)\n"
            "        hs.append(h)\n"
            "    return np.stack(hs), h\n"
        ),
        ("test_rnn_forward_values",),
        "reads xs[0] at every step",
    ),
    Mutant(
        "fwd_reads_backwards",
        "rnn_forward",
        _forward(
            "    h, hs = h0, []\n"
            "    for x in xs[::-1]:\n"
            "        h = rnn_step(x, h, W_xh, W_hh, b_h)\n"
            "        hs.append(h)\n"
            "    return np.stack(hs), h\n"
        ),
        ("test_rnn_forward_values",),
        "reads the sequence from the end",
    ),
    Mutant(
        "fwd_empty_crashes",
        "rnn_forward",
        _forward(
            "    h, hs = h0, []\n"
            "    for x in xs:\n"
            "        h = rnn_step(x, h, W_xh, W_hh, b_h)\n"
            "        hs.append(h)\n"
            "    return np.stack(hs), h\n"
        ),
        ("test_rnn_forward_shape",),
        "no case for the empty sequence (np.stack of nothing)",
    ),
    # ---- gradient_norms_through_time --------------------------------------------------------
    Mutant(
        "grad_all_steps",
        "gradient_norms_through_time",
        _grad(
            "    x = xs.clone().requires_grad_(True)\n"
            "    out, _ = rnn(x)\n"
            "    (g,) = torch.autograd.grad(out.sum(), x)\n"
            "    return g.pow(2).sum(dim=(0, 2)).sqrt()\n"
        ),
        ("test_gradient_norms_through_time_values",),
        "differentiates the outputs of all steps, not the last one",
    ),
    Mutant(
        "grad_first_sample_only",
        "gradient_norms_through_time",
        _grad(
            "    x = xs.clone().requires_grad_(True)\n"
            "    out, _ = rnn(x)\n"
            "    (g,) = torch.autograd.grad(out[:, -1, :].sum(), x)\n"
            "    return g[0].norm(dim=-1)\n"
        ),
        ("test_gradient_norms_through_time_values",),
        "takes the norm of the first batch element only",
    ),
    Mutant(
        "grad_sum_of_sample_norms",
        "gradient_norms_through_time",
        _grad(
            "    x = xs.clone().requires_grad_(True)\n"
            "    out, _ = rnn(x)\n"
            "    (g,) = torch.autograd.grad(out[:, -1, :].sum(), x)\n"
            "    return g.norm(dim=2).sum(dim=0)\n"
        ),
        ("test_gradient_norms_through_time_values",),
        "norm per batch element, then summed, instead of one norm over the batch",
    ),
    Mutant(
        "grad_by_distance",
        "gradient_norms_through_time",
        _grad(
            "    x = xs.clone().requires_grad_(True)\n"
            "    out, _ = rnn(x)\n"
            "    (g,) = torch.autograd.grad(out[:, -1, :].sum(), x)\n"
            "    return g.pow(2).sum(dim=(0, 2)).sqrt().flip(0)\n"
        ),
        ("test_gradient_norms_through_time_values",),
        "indexes by distance from the end instead of by input step",
    ),
    Mutant(
        "grad_mean_abs",
        "gradient_norms_through_time",
        _grad(
            "    x = xs.clone().requires_grad_(True)\n"
            "    out, _ = rnn(x)\n"
            "    (g,) = torch.autograd.grad(out[:, -1, :].sum(), x)\n"
            "    return g.abs().mean(dim=(0, 2))\n"
        ),
        ("test_gradient_norms_through_time_values",),
        "mean absolute value instead of the L2 norm",
    ),
    Mutant(
        "grad_squared_norm",
        "gradient_norms_through_time",
        _grad(
            "    x = xs.clone().requires_grad_(True)\n"
            "    out, _ = rnn(x)\n"
            "    (g,) = torch.autograd.grad(out[:, -1, :].sum(), x)\n"
            "    return g.pow(2).sum(dim=(0, 2))\n"
        ),
        ("test_gradient_norms_through_time_values",),
        "forgets the square root",
    ),
    Mutant(
        "grad_first_layer_state",
        "gradient_norms_through_time",
        _grad(
            "    x = xs.clone().requires_grad_(True)\n"
            "    _, h_n = rnn(x)\n"
            "    if isinstance(h_n, tuple):\n"
            "        h_n = h_n[0]\n"
            "    (g,) = torch.autograd.grad(h_n[0].sum(), x)\n"
            "    return g.pow(2).sum(dim=(0, 2)).sqrt()\n"
        ),
        ("test_gradient_norms_through_time_values",),
        "uses h_n[0], the FIRST layer's final state, instead of the last layer's output",
    ),
    Mutant(
        "grad_modifies_xs",
        "gradient_norms_through_time",
        _grad(
            "    xs.requires_grad_(True)\n"
            "    out, _ = rnn(xs)\n"
            "    out[:, -1, :].sum().backward()\n"
            "    return xs.grad.pow(2).sum(dim=(0, 2)).sqrt()\n"
        ),
        ("test_gradient_norms_through_time_no_side_effects",),
        "sets requires_grad on the caller's tensor and leaves a .grad on it",
    ),
    # ---- encode_context ---------------------------------------------------------------------
    Mutant(
        "enc_no_packing",
        "encode_context",
        _encode("    _, (h, c) = encoder(embedding(src))\n    return h, c\n"),
        ("test_encode_context_padding",),
        "runs the LSTM over the pads: the state after the padding",
    ),
    Mutant(
        "enc_last_output_as_h",
        "encode_context",
        _encode("    out, (h, c) = encoder(embedding(src))\n    return out[:, -1][None], c\n"),
        ("test_encode_context_padding",),
        "takes the output at the last padded position as h",
    ),
    Mutant(
        "enc_gather_h_only",
        "encode_context",
        _encode(
            "    out, (h, c) = encoder(embedding(src))\n"
            "    last = out[torch.arange(src.shape[0]), src_lens - 1]\n"
            "    return last[None], c\n"
        ),
        ("test_encode_context_padding",),
        "picks h at the right step from the outputs, but c after the pads",
    ),
    Mutant(
        "enc_h_twice",
        "encode_context",
        _encode(
            "    packed = pack_padded_sequence(embedding(src), src_lens, batch_first=True,"
            " enforce_sorted=False)\n"
            "    _, (h, c) = encoder(packed)\n"
            "    return h, h\n"
        ),
        ("test_encode_context_equal_lengths",),
        "returns (h, h) instead of (h, c)",
    ),
    Mutant(
        "enc_off_by_one",
        "encode_context",
        _encode(
            "    lens = (src_lens - 1).clamp(min=1)\n"
            "    packed = pack_padded_sequence(embedding(src), lens, batch_first=True,"
            " enforce_sorted=False)\n"
            "    _, (h, c) = encoder(packed)\n"
            "    return h, c\n"
        ),
        ("test_encode_context_equal_lengths", "test_encode_context_padding"),
        "stops one token early (the state after the second-to-last token)",
    ),
    Mutant(
        "enc_enforce_sorted",
        "encode_context",
        _encode(
            "    packed = pack_padded_sequence(embedding(src), src_lens, batch_first=True)\n"
            "    _, (h, c) = encoder(packed)\n"
            "    return h, c\n"
        ),
        ("test_encode_context_padding",),
        "keeps enforce_sorted=True: fails on a batch whose lengths are not decreasing",
    ),
    Mutant(
        "enc_only_h",
        "encode_context",
        _encode(
            "    packed = pack_padded_sequence(embedding(src), src_lens, batch_first=True,"
            " enforce_sorted=False)\n"
            "    _, (h, c) = encoder(packed)\n"
            "    return h\n"
        ),
        ("test_encode_context_shape",),
        "returns only h",
    ),
    Mutant(
        "enc_squeezed",
        "encode_context",
        _encode(
            "    packed = pack_padded_sequence(embedding(src), src_lens, batch_first=True,"
            " enforce_sorted=False)\n"
            "    _, (h, c) = encoder(packed)\n"
            "    return h[0], c[0]\n"
        ),
        ("test_encode_context_shape",),
        "squeezes the layer dimension: (B, hidden)",
    ),
    Mutant(
        "enc_no_embedding",
        "encode_context",
        _encode(
            "    packed = pack_padded_sequence(src, src_lens, batch_first=True,"
            " enforce_sorted=False)\n"
            "    _, (h, c) = encoder(packed)\n"
            "    return h, c\n"
        ),
        ("test_encode_context_shape", "test_encode_context_padding"),
        "forgets the embedding (the LSTM is fed token ids)",
    ),
    # ---- greedy_decode ----------------------------------------------------------------------
    Mutant(
        "greedy_always_sos",
        "greedy_decode",
        _greedy_loop(fed="torch.full_like(tokens, SOS)"),
        ("test_greedy_decode_feeds_back", "test_greedy_decode_real_model"),
        "feeds SOS at every step instead of the previous prediction",
    ),
    Mutant(
        "greedy_starts_with_pad",
        "greedy_decode",
        _greedy_loop(first="PAD"),
        ("test_greedy_decode_feeds_back",),
        "starts from PAD instead of SOS",
    ),
    Mutant(
        "greedy_feeds_zeros",
        "greedy_decode",
        _greedy_loop(fed="torch.zeros_like(tokens)"),
        ("test_greedy_decode_feeds_back",),
        "feeds zeros instead of the previous prediction",
    ),
    Mutant(
        "greedy_state_not_carried",
        "greedy_decode",
        _greedy_loop(new_state="_"),
        ("test_greedy_decode_state", "test_greedy_decode_real_model"),
        "drops the new state: every step starts from the context again",
    ),
    Mutant(
        "greedy_reencodes_each_step",
        "greedy_decode",
        _greedy(
            "    with torch.no_grad():\n"
            "        tokens = torch.full((src.shape[0],), SOS, dtype=torch.long)\n"
            "        outs = []\n"
            "        for _ in range(max_len):\n"
            "            state = model.encode(src, src_lens)\n"
            "            logits, state = model.step(tokens, state)\n"
            "            tokens = logits.argmax(dim=-1)\n"
            "            outs.append(tokens)\n"
            "        return torch.stack(outs, dim=1)\n"
        ),
        ("test_greedy_decode_state",),
        "re-encodes the source at every step",
    ),
    Mutant(
        "greedy_includes_sos",
        "greedy_decode",
        _greedy(
            "    with torch.no_grad():\n"
            "        state = model.encode(src, src_lens)\n"
            "        tokens = torch.full((src.shape[0],), SOS, dtype=torch.long)\n"
            "        outs = [tokens]\n"
            "        for _ in range(max_len - 1):\n"
            "            logits, state = model.step(tokens, state)\n"
            "            tokens = logits.argmax(dim=-1)\n"
            "            outs.append(tokens)\n"
            "        return torch.stack(outs, dim=1)\n"
        ),
        ("test_greedy_decode_feeds_back",),
        "off by one: SOS is the first output token",
    ),
    Mutant(
        "greedy_sos_plus_max_len",
        "greedy_decode",
        _greedy(
            "    with torch.no_grad():\n"
            "        state = model.encode(src, src_lens)\n"
            "        tokens = torch.full((src.shape[0],), SOS, dtype=torch.long)\n"
            "        outs = [tokens]\n"
            "        for _ in range(max_len):\n"
            "            logits, state = model.step(tokens, state)\n"
            "            tokens = logits.argmax(dim=-1)\n"
            "            outs.append(tokens)\n"
            "        return torch.stack(outs, dim=1)\n"
        ),
        ("test_greedy_decode_shape",),
        "returns SOS plus max_len tokens",
    ),
    Mutant(
        "greedy_argmax_batch_axis",
        "greedy_decode",
        _greedy_loop(dim="0"),
        ("test_greedy_decode_shape", "test_greedy_decode_feeds_back"),
        "takes the argmax over the batch axis",
    ),
    Mutant(
        "greedy_returns_logits",
        "greedy_decode",
        _greedy_loop(kept="logits"),
        ("test_greedy_decode_shape",),
        "returns the logits instead of token ids",
    ),
    Mutant(
        "greedy_no_no_grad",
        "greedy_decode",
        _greedy(
            "    state = model.encode(src, src_lens)\n"
            "    tokens = torch.full((src.shape[0],), SOS, dtype=torch.long)\n"
            "    outs = []\n"
            "    for _ in range(max_len):\n"
            "        logits, state = model.step(tokens, state)\n"
            "        tokens = logits.argmax(dim=-1)\n"
            "        outs.append(tokens)\n"
            "    return torch.stack(outs, dim=1)\n"
        ),
        ("test_greedy_decode_state",),
        "decodes with gradients enabled",
    ),
    # ---- check your understanding -----------------------------------------------------------
    Mutant(
        "q1_h_only",
        "understanding",
        "answer_1 = 64\n",
        ("test_understanding_q1",),
        "forgets the cell state c",
    ),
    Mutant(
        "q1_grows_with_length",
        "understanding",
        "answer_1 = 24 * 128\n",
        ("test_understanding_q1",),
        "thinks the context grows with the source",
    ),
    Mutant(
        "q2_bounded_state",
        "understanding",
        "answer_2 = 'c'\n",
        ("test_understanding_q2",),
        "confuses a bounded state with a vanishing gradient",
    ),
    Mutant(
        "q3_sum_not_product",
        "understanding",
        "answer_3 = 0.6 * 20\n",
        ("test_understanding_q3",),
        "multiplies by 20 instead of raising to the 20th power",
    ),
    Mutant(
        "q3_off_by_one",
        "understanding",
        "answer_3 = 0.6**19\n",
        ("test_understanding_q3",),
        "counts 19 Jacobians",
    ),
    Mutant(
        "q4_erases",
        "understanding",
        "answer_4 = 'a'\n",
        ("test_understanding_q4",),
        "thinks a forget gate of 1 forgets",
    ),
    Mutant(
        "q5_first_positions",
        "understanding",
        "answer_5 = 'a'\n",
        ("test_understanding_q5",),
        "thinks the first target symbols are the hardest",
    ),
    Mutant(
        "q5_not_a_letter",
        "understanding",
        "answer_5 = 'the later ones'\n",
        ("test_understanding_q5",),
        "answers in words instead of a letter",
    ),
]
