"""Correct answers to notebook 06 in other styles; each must keep full marks.

Each equivalent carries only what replaces the solution region(s) of its cell (the format of
``autograder/mutants.py``).

Run with ``python -m autograder mutants --assignment 06_transformer``.
"""

from autograder.mutants import Equivalent

EQUIVALENTS = [
    # ---- sinusoidal_positional_encoding -----------------------------------------------------
    Equivalent(
        "pe_annotated_transformer_float32",
        "sinusoidal_positional_encoding",
        """
        # the Annotated Transformer's PositionalEncoding (and d2l's): float32 throughout
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * -(math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)[:, : d_model // 2]
        return pe
        """,
        "float32, the Annotated Transformer's div_term",
    ),
    Equivalent(
        "pe_numpy_loops",
        "sinusoidal_positional_encoding",
        """
        pe = np.zeros((max_len, d_model))
        for p in range(max_len):
            for i in range(0, d_model, 2):
                angle = p / 10000 ** (i / d_model)
                pe[p, i] = np.sin(angle)
                if i + 1 < d_model:
                    pe[p, i + 1] = np.cos(angle)
        return torch.from_numpy(pe).float()
        """,
        "numpy loops over positions and columns",
    ),
    Equivalent(
        "pe_where_even_odd",
        "sinusoidal_positional_encoding",
        """
        p = torch.arange(max_len, dtype=torch.float64)[:, None]  # (max_len, 1)
        j = torch.arange(d_model, dtype=torch.float64)[None, :]  # (1, d_model)
        angle = p / 10000.0 ** ((j - j % 2) / d_model)  # column 2i and 2i + 1 share 2i
        return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle)).to(torch.float32)
        """,
        "one angle per column, torch.where on its parity",
    ),
    # ---- FeedForward ------------------------------------------------------------------------
    Equivalent(
        "ff_functional_relu",
        "FeedForward",
        """
        return self.linear2(F.relu(self.linear1(x)))
        """,
        "F.relu",
    ),
    Equivalent(
        "ff_clamp",
        "FeedForward",
        """
        hidden = self.linear1(x).clamp(min=0)  # max(0, x W1 + b1)
        return self.linear2(hidden)
        """,
        "clamp(min=0), the paper's max(0, .)",
    ),
    Equivalent(
        "ff_explicit_matmul",
        "FeedForward",
        """
        h = x @ self.linear1.weight.T + self.linear1.bias
        h = torch.maximum(h, torch.zeros_like(h))
        return h @ self.linear2.weight.T + self.linear2.bias
        """,
        "the formula with the layers' weights",
    ),
    # ---- EncoderLayer -----------------------------------------------------------------------
    Equivalent(
        "enc_pytorch_blocks",
        "EncoderLayer",
        """
        # the structure of torch.nn.TransformerEncoderLayer.forward: _sa_block and _ff_block
        def _sa_block(h, key_padding_mask):
            kpm = key_padding_mask
            return self.self_attn(h, h, h, key_padding_mask=kpm, need_weights=False)[0]

        def _ff_block(h):
            return self.linear2(F.relu(self.linear1(h)))

        key_padding_mask = pad_mask.logical_not() if pad_mask is not None else None
        if self.norm_first:
            x = x + _sa_block(self.norm1(x), key_padding_mask)
            x = x + _ff_block(self.norm2(x))
        else:
            x = self.norm1(x + _sa_block(x, key_padding_mask))
            x = self.norm2(x + _ff_block(x))
        return x
        """,
        "PyTorch's own _sa_block/_ff_block structure",
    ),
    Equivalent(
        "enc_two_branches",
        "EncoderLayer",
        """
        kpm = None if pad_mask is None else ~pad_mask
        if not self.norm_first:  # post-norm, Vaswani et al.
            attn_out, _ = self.self_attn(x, x, x, key_padding_mask=kpm)
            x = self.norm1(x + attn_out)
            return self.norm2(x + self.linear2(torch.relu(self.linear1(x))))
        h = self.norm1(x)
        attn_out, _ = self.self_attn(h, h, h, key_padding_mask=kpm)
        x = x + attn_out
        return x + self.linear2(torch.relu(self.linear1(self.norm2(x))))
        """,
        "two explicit branches, weights returned and ignored",
    ),
    Equivalent(
        "enc_sublayer_connection",
        "EncoderLayer",
        """
        # the Annotated Transformer's SublayerConnection, for both norm placements
        def sublayer(h, norm, fn):
            return h + fn(norm(h)) if self.norm_first else norm(h + fn(h))

        mask = None if pad_mask is None else pad_mask == 0
        x = sublayer(
            x, self.norm1, lambda h: self.self_attn(h, h, h, key_padding_mask=mask)[0]
        )
        return sublayer(x, self.norm2, lambda h: self.linear2(self.linear1(h).relu()))
        """,
        "the Annotated Transformer's SublayerConnection",
    ),
    # ---- DecoderLayer -----------------------------------------------------------------------
    Equivalent(
        "dec_pytorch_blocks",
        "DecoderLayer",
        """
        # the structure of torch.nn.TransformerDecoderLayer.forward
        T = y.shape[1]
        tgt_mask = None
        if causal:
            tgt_mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=y.device), 1)
        memory_key_padding_mask = None if memory_pad_mask is None else ~memory_pad_mask

        def _sa_block(h):
            return self.self_attn(h, h, h, attn_mask=tgt_mask, need_weights=False)[0]

        def _mha_block(h):
            return self.multihead_attn(
                h, memory, memory, key_padding_mask=memory_key_padding_mask, need_weights=False
            )[0]

        def _ff_block(h):
            return self.linear2(F.relu(self.linear1(h)))

        x = y
        if self.norm_first:
            x = x + _sa_block(self.norm1(x))
            x = x + _mha_block(self.norm2(x))
            x = x + _ff_block(self.norm3(x))
        else:
            x = self.norm1(x + _sa_block(x))
            x = self.norm2(x + _mha_block(x))
            x = self.norm3(x + _ff_block(x))
        return x
        """,
        "PyTorch's own block structure, triu bool mask",
    ),
    Equivalent(
        "dec_float_square_subsequent_mask",
        "DecoderLayer",
        """
        T = y.shape[1]
        # the PyTorch tutorial's float mask: 0 on and below the diagonal, -inf above
        attn_mask = None
        if causal:
            attn_mask = nn.Transformer.generate_square_subsequent_mask(T, device=y.device)
        kpm = None if memory_pad_mask is None else ~memory_pad_mask
        h = self.norm1(y) if self.norm_first else y
        sa = self.self_attn(h, h, h, attn_mask=attn_mask)[0]
        y = y + sa if self.norm_first else self.norm1(y + sa)
        h = self.norm2(y) if self.norm_first else y
        ca = self.multihead_attn(h, memory, memory, key_padding_mask=kpm)[0]
        y = y + ca if self.norm_first else self.norm2(y + ca)
        h = self.norm3(y) if self.norm_first else y
        ff = self.linear2(torch.relu(self.linear1(h)))
        return y + ff if self.norm_first else self.norm3(y + ff)
        """,
        "float -inf mask from generate_square_subsequent_mask",
    ),
    Equivalent(
        "dec_sublayer_list",
        "DecoderLayer",
        """
        forbid = None
        if causal:
            positions = torch.arange(y.shape[1], device=y.device)
            forbid = positions[None, :] > positions[:, None]  # key after query: forbidden
        ignore = None if memory_pad_mask is None else memory_pad_mask.logical_not()
        sublayers = [
            (self.norm1, lambda h: self.self_attn(h, h, h, attn_mask=forbid)[0]),
            (
                self.norm2,
                lambda h: self.multihead_attn(h, memory, memory, key_padding_mask=ignore)[0],
            ),
            (self.norm3, lambda h: self.linear2(F.relu(self.linear1(h)))),
        ]
        for norm, fn in sublayers:
            y = y + fn(norm(y)) if self.norm_first else norm(y + fn(y))
        return y
        """,
        "a list of (norm, sublayer) pairs",
    ),
    # ---- Transformer ------------------------------------------------------------------------
    Equivalent(
        "tf_preallocated_decode",
        "Transformer",
        (
            """
            S = src.shape[1]
            pad_mask = src_lens.to(src.device)[:, None] > torch.arange(S, device=src.device)
            x = self.src_emb(src) + self.pe[None, :S, :]
            for layer in self.encoder_layers:
                x = layer(x, pad_mask=pad_mask)
            memory = self.enc_norm(x)
            return memory, pad_mask
            """,
            """
            T = dec_in.shape[1]
            y = self.tgt_emb(dec_in) + self.pe[None, :T, :]
            for layer in self.decoder_layers:
                y = layer(y, memory, memory_pad_mask=pad_mask, causal=True)
            return self.out(self.dec_norm(y))
            """,
            """
            memory, pad_mask = self.encode(src, src_lens)
            B = src.shape[0]
            tokens = torch.full((B, out_len + 1), SOS, dtype=torch.long, device=src.device)
            for t in range(out_len):
                logits = self.decode_logits(tokens[:, : t + 1], memory, pad_mask)
                tokens[:, t + 1] = logits[:, -1, :].argmax(dim=-1)
            return tokens[:, 1:]
            """,
        ),
        "a preallocated token buffer, keyword arguments",
    ),
    Equivalent(
        "tf_mask_from_lengths_loop",
        "Transformer",
        (
            """
            B, S = src.shape
            pad_mask = torch.zeros(B, S, dtype=torch.bool, device=src.device)
            for b in range(B):
                pad_mask[b, : int(src_lens[b])] = True
            h = self.src_emb(src) + self.pe[:S].unsqueeze(0)
            for enc in self.encoder_layers:
                h = enc(h, pad_mask)
            return self.enc_norm(h), pad_mask
            """,
            """
            h = self.tgt_emb(dec_in)
            h = h + self.pe[: h.shape[1]]
            for dec in self.decoder_layers:
                h = dec(h, memory, pad_mask)  # causal=True is the default
            h = self.dec_norm(h)
            return self.out(h)
            """,
            """
            memory, pad_mask = self.encode(src, src_lens)
            generated = []
            prefix = torch.full((src.shape[0], 1), SOS, dtype=torch.long, device=src.device)
            for _ in range(out_len):
                next_token = self.decode_logits(prefix, memory, pad_mask)[:, -1].argmax(-1)
                generated.append(next_token)
                prefix = torch.cat([prefix, next_token[:, None]], dim=1)
            return torch.stack(generated, dim=1)
            """,
        ),
        "mask filled per sequence, tokens collected in a list",
    ),
    Equivalent(
        "tf_sequential_style",
        "Transformer",
        (
            """
            src_lens = src_lens.to(src.device)
            positions = torch.arange(src.shape[1], device=src.device).expand_as(src)  # (B, S)
            pad_mask = positions < src_lens.unsqueeze(1)
            memory = self.src_emb(src) + self.pe[: src.shape[1]]
            for layer in self.encoder_layers:
                memory = layer(memory, pad_mask)
            return self.enc_norm(memory), pad_mask
            """,
            """
            y = self.tgt_emb(dec_in) + self.pe.narrow(0, 0, dec_in.size(1))
            for layer in self.decoder_layers:
                y = layer(y, memory, pad_mask, True)
            return self.out(self.dec_norm(y))
            """,
            """
            memory, pad_mask = self.encode(src, src_lens)
            ys = torch.ones(src.size(0), 1, dtype=torch.long, device=src.device).fill_(SOS)
            for _ in range(out_len):
                prob = self.decode_logits(ys, memory, pad_mask)[:, -1]
                _, next_word = torch.max(prob, dim=1)
                ys = torch.cat([ys, next_word.unsqueeze(1).type_as(ys)], dim=1)
            return ys[:, 1:]
            """,
        ),
        "the Annotated Transformer's greedy_decode",
    ),
    # ---- length_prediction -------------------------------------------------------------------
    Equivalent(
        "beyond_upper_case",
        "length_prediction",
        'prediction_beyond = "C"',
        "the letter in upper case",
    ),
    Equivalent(
        "beyond_spaces",
        "length_prediction",
        'prediction_beyond = " c "',
        "the letter with spaces around it",
    ),
    Equivalent(
        "beyond_numpy_string",
        "length_prediction",
        'prediction_beyond = np.str_("c")',
        "a numpy string",
    ),
    Equivalent(
        "beyond_indexed",
        "length_prediction",
        'prediction_beyond = "abcd"[2]',
        "an expression that gives the letter",
    ),
    # ---- understanding ----------------------------------------------------------------------
    Equivalent(
        "quiz_numpy_scalar",
        "understanding",
        """
        answer_1 = "c"
        answer_2 = "a"
        answer_3 = "d"
        answer_4 = np.float64(5.66)
        answer_5 = "b"
        """,
        "a numpy scalar",
    ),
    Equivalent(
        "quiz_exact_root",
        "understanding",
        """
        answer_1 = "c"
        answer_2 = "a"
        answer_3 = "d"
        answer_4 = math.sqrt(32)
        answer_5 = "b"
        """,
        "the exact value, unrounded",
    ),
    Equivalent(
        "quiz_tensor_item",
        "understanding",
        """
        answer_1 = "c"
        answer_2 = "a"
        answer_3 = "d"
        answer_4 = round(sinusoidal_positional_encoding(10, 64)[7].norm().item(), 2)
        answer_5 = "b"
        """,
        "computed from the notebook's own encoding",
    ),
]
