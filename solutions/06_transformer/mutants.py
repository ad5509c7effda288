"""Common wrong answers to notebook 06; each must lose points on the test cell it names.

Each mutant carries only what replaces the solution region(s) of its cell, the lines
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (a tuple, one string per region, for a
cell with several); the harness splices it into the notebook's current cell, so the given
code is never copied here.

Run with ``python -m autograder mutants --assignment 06_transformer``.
"""

from autograder.mutants import Mutant

# the encode region most Transformer mutants share
_ENCODE = """
S = src.shape[1]
pad_mask = torch.arange(S)[None, :] < src_lens[:, None]
x = self.src_emb(src) + self.pe[:S]
for layer in self.encoder_layers:
    x = layer(x, pad_mask)
return self.enc_norm(x), pad_mask
"""

# the decode_logits region most of them share
_DECODE_LOGITS = """
y = self.tgt_emb(dec_in) + self.pe[: dec_in.shape[1]]
for layer in self.decoder_layers:
    y = layer(y, memory, pad_mask, causal=True)
return self.out(self.dec_norm(y))
"""

# the decode region most of them share
_DECODE = """
memory, pad_mask = self.encode(src, src_lens)
tokens = torch.full((src.shape[0], 1), SOS, dtype=torch.long)
for _ in range(out_len):
    logits = self.decode_logits(tokens, memory, pad_mask)
    tokens = torch.cat([tokens, logits[:, -1].argmax(dim=-1, keepdim=True)], dim=1)
return tokens[:, 1:]
"""


MUTANTS = [
    # ---- sinusoidal_positional_encoding ----------------------------------------------------------
    Mutant(
        "pe_sin_cos_swapped",
        "sinusoidal_positional_encoding",
        """
        p = torch.arange(max_len, dtype=torch.float32)[:, None]
        j = torch.arange(d_model, dtype=torch.float32)[None, :]
        angle = p / 10000.0 ** ((j - j % 2) / d_model)
        return torch.where(j % 2 == 0, torch.cos(angle), torch.sin(angle))
        """,
        ("test_positional_encoding_values", "test_positional_encoding_properties"),
        "cosines in the even columns, sines in the odd ones",
    ),
    Mutant(
        "pe_exponent_column_index",
        "sinusoidal_positional_encoding",
        """
        p = torch.arange(max_len, dtype=torch.float32)[:, None]
        j = torch.arange(d_model, dtype=torch.float32)[None, :]
        angle = p / 10000.0 ** (j / d_model)
        return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))
        """,
        ("test_positional_encoding_values",),
        "uses the column index j instead of 2i in the exponent: the cosine gets its own frequency",
    ),
    Mutant(
        "pe_exponent_doubled",
        "sinusoidal_positional_encoding",
        """
        p = torch.arange(max_len, dtype=torch.float32)[:, None]
        j = torch.arange(d_model, dtype=torch.float32)[None, :]
        angle = p / 10000.0 ** (2 * j / d_model)
        return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))
        """,
        ("test_positional_encoding_values",),
        "writes 2j/d for column j (twice the exponent of the formula)",
    ),
    Mutant(
        "pe_multiplies",
        "sinusoidal_positional_encoding",
        """
        p = torch.arange(max_len, dtype=torch.float32)[:, None]
        j = torch.arange(d_model, dtype=torch.float32)[None, :]
        angle = p * 10000.0 ** ((j - j % 2) / d_model)
        return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))
        """,
        ("test_positional_encoding_values",),
        "multiplies the position by 10000^(2i/d) instead of dividing",
    ),
    Mutant(
        "pe_halves",
        "sinusoidal_positional_encoding",
        """
        p = torch.arange(max_len, dtype=torch.float32)[:, None]
        two_i = torch.arange(0, d_model, 2, dtype=torch.float32)
        angle = p / 10000.0 ** (two_i / d_model)
        return torch.cat([torch.sin(angle), torch.cos(angle)], dim=1)[:, :d_model]
        """,
        ("test_positional_encoding_values",),
        "puts all sines in the first half and all cosines in the second (another layout)",
    ),
    Mutant(
        "pe_float64",
        "sinusoidal_positional_encoding",
        """
        p = torch.arange(max_len, dtype=torch.float64)[:, None]
        j = torch.arange(d_model, dtype=torch.float64)[None, :]
        angle = p / 10000.0 ** ((j - j % 2) / d_model)
        return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))
        """,
        ("test_positional_encoding_shape",),
        "returns float64, which cannot be added to float32 embeddings without a cast",
    ),
    Mutant(
        "pe_positions_from_one",
        "sinusoidal_positional_encoding",
        """
        p = torch.arange(1, max_len + 1, dtype=torch.float32)[:, None]
        j = torch.arange(d_model, dtype=torch.float32)[None, :]
        angle = p / 10000.0 ** ((j - j % 2) / d_model)
        return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))
        """,
        ("test_positional_encoding_values", "test_positional_encoding_properties"),
        "counts positions from 1",
    ),
    Mutant(
        "pe_even_d_only",
        "sinusoidal_positional_encoding",
        """
        p = torch.arange(max_len, dtype=torch.float32)[:, None]
        two_i = torch.arange(0, d_model, 2, dtype=torch.float32)
        angle = p / 10000.0 ** (two_i / d_model)
        return torch.stack([torch.sin(angle), torch.cos(angle)], dim=-1).reshape(max_len, -1)
        """,
        ("test_positional_encoding_shape",),
        "interleaves by stacking pairs: right for even d_model, one column too many for odd",
    ),
    # ---- FeedForward -----------------------------------------------------------------------------
    Mutant(
        "ff_no_relu",
        "FeedForward",
        """
        return self.linear2(self.linear1(x))
        """,
        ("test_feed_forward_values",),
        "forgets the non-linearity: two linear layers are one linear map",
    ),
    Mutant(
        "ff_relu_at_the_end",
        "FeedForward",
        """
        return torch.relu(self.linear2(torch.relu(self.linear1(x))))
        """,
        ("test_feed_forward_values",),
        "adds a ReLU after linear2 too",
    ),
    Mutant(
        "ff_gelu",
        "FeedForward",
        """
        return self.linear2(F.gelu(self.linear1(x)))
        """,
        ("test_feed_forward_values",),
        "uses GELU (GPT's choice) instead of the ReLU of the paper and of PyTorch's default",
    ),
    Mutant(
        "ff_residual_inside",
        "FeedForward",
        """
        return x + self.linear2(torch.relu(self.linear1(x)))
        """,
        ("test_feed_forward_values",),
        "adds the residual connection inside the feed-forward network",
    ),
    Mutant(
        "ff_linears_swapped",
        "FeedForward",
        """
        return self.linear1(torch.relu(self.linear2(x)))
        """,
        ("test_feed_forward_shape", "test_feed_forward_values"),
        "applies linear2 first",
    ),
    Mutant(
        "ff_only_linear1",
        "FeedForward",
        """
        return torch.relu(self.linear1(x))
        """,
        ("test_feed_forward_shape",),
        "never projects back to d_model",
    ),
    # ---- EncoderLayer ----------------------------------------------------------------------------
    Mutant(
        "enc_always_post_norm",
        "EncoderLayer",
        """
        def sa(h, pad_mask):
            kpm = None if pad_mask is None else ~pad_mask
            return self.self_attn(h, h, h, key_padding_mask=kpm, need_weights=False)[0]

        def ff(h):
            return self.linear2(torch.relu(self.linear1(h)))

        x = self.norm1(x + sa(x, pad_mask))
        return self.norm2(x + ff(x))
        """,
        ("test_encoder_layer_pre_norm",),
        "ignores norm_first: always post-norm",
    ),
    Mutant(
        "enc_always_pre_norm",
        "EncoderLayer",
        """
        def sa(h, pad_mask):
            kpm = None if pad_mask is None else ~pad_mask
            return self.self_attn(h, h, h, key_padding_mask=kpm, need_weights=False)[0]

        def ff(h):
            return self.linear2(torch.relu(self.linear1(h)))

        x = x + sa(self.norm1(x), pad_mask)
        return x + ff(self.norm2(x))
        """,
        ("test_encoder_layer_post_norm",),
        "ignores norm_first: always pre-norm",
    ),
    Mutant(
        "enc_pre_norm_normalises_stream",
        "EncoderLayer",
        """
        def sa(h, pad_mask):
            kpm = None if pad_mask is None else ~pad_mask
            return self.self_attn(h, h, h, key_padding_mask=kpm, need_weights=False)[0]

        def ff(h):
            return self.linear2(torch.relu(self.linear1(h)))

        if self.norm_first:
            x = self.norm1(x)
            x = x + sa(x, pad_mask)
            x = self.norm2(x)
            return x + ff(x)
        x = self.norm1(x + sa(x, pad_mask))
        return self.norm2(x + ff(x))
        """,
        ("test_encoder_layer_pre_norm",),
        "pre-norm that normalises the residual stream itself, not just the sub-layer's input",
    ),
    Mutant(
        "enc_post_norm_on_sublayer_only",
        "EncoderLayer",
        """
        def sa(h, pad_mask):
            kpm = None if pad_mask is None else ~pad_mask
            return self.self_attn(h, h, h, key_padding_mask=kpm, need_weights=False)[0]

        def ff(h):
            return self.linear2(torch.relu(self.linear1(h)))

        if self.norm_first:
            x = x + sa(self.norm1(x), pad_mask)
            return x + ff(self.norm2(x))
        x = x + self.norm1(sa(x, pad_mask))
        return x + self.norm2(ff(x))
        """,
        ("test_encoder_layer_post_norm",),
        "post-norm that normalises the sub-layer's output before the residual sum",
    ),
    Mutant(
        "enc_no_attention_residual",
        "EncoderLayer",
        """
        def sa(h, pad_mask):
            kpm = None if pad_mask is None else ~pad_mask
            return self.self_attn(h, h, h, key_padding_mask=kpm, need_weights=False)[0]

        def ff(h):
            return self.linear2(torch.relu(self.linear1(h)))

        if self.norm_first:
            x = sa(self.norm1(x), pad_mask)
            return x + ff(self.norm2(x))
        x = self.norm1(sa(x, pad_mask))
        return self.norm2(x + ff(x))
        """,
        ("test_encoder_layer_post_norm", "test_encoder_layer_pre_norm"),
        "forgets the residual connection around the attention",
    ),
    Mutant(
        "enc_norms_swapped",
        "EncoderLayer",
        """
        def sa(h, pad_mask):
            kpm = None if pad_mask is None else ~pad_mask
            return self.self_attn(h, h, h, key_padding_mask=kpm, need_weights=False)[0]

        def ff(h):
            return self.linear2(torch.relu(self.linear1(h)))

        if self.norm_first:
            x = x + sa(self.norm2(x), pad_mask)
            return x + ff(self.norm1(x))
        x = self.norm2(x + sa(x, pad_mask))
        return self.norm1(x + ff(x))
        """,
        ("test_encoder_layer_post_norm", "test_encoder_layer_pre_norm"),
        "uses norm2 for the attention and norm1 for the feed-forward",
    ),
    Mutant(
        "enc_no_relu",
        "EncoderLayer",
        """
        def sa(h, pad_mask):
            kpm = None if pad_mask is None else ~pad_mask
            return self.self_attn(h, h, h, key_padding_mask=kpm, need_weights=False)[0]

        def ff(h):
            return self.linear2((self.linear1(h)))

        if self.norm_first:
            x = x + sa(self.norm1(x), pad_mask)
            return x + ff(self.norm2(x))
        x = self.norm1(x + sa(x, pad_mask))
        return self.norm2(x + ff(x))
        """,
        ("test_encoder_layer_post_norm", "test_encoder_layer_pre_norm"),
        "feed-forward without the ReLU",
    ),
    Mutant(
        "enc_mask_ignored",
        "EncoderLayer",
        """
        def sa(h, pad_mask):
            kpm = None if pad_mask is None else None
            return self.self_attn(h, h, h, key_padding_mask=kpm, need_weights=False)[0]

        def ff(h):
            return self.linear2(torch.relu(self.linear1(h)))

        if self.norm_first:
            x = x + sa(self.norm1(x), pad_mask)
            return x + ff(self.norm2(x))
        x = self.norm1(x + sa(x, pad_mask))
        return self.norm2(x + ff(x))
        """,
        ("test_encoder_layer_padding",),
        "never passes the padding mask to the attention",
    ),
    Mutant(
        "enc_mask_not_inverted",
        "EncoderLayer",
        """
        def sa(h, pad_mask):
            kpm = None if pad_mask is None else pad_mask
            return self.self_attn(h, h, h, key_padding_mask=kpm, need_weights=False)[0]

        def ff(h):
            return self.linear2(torch.relu(self.linear1(h)))

        if self.norm_first:
            x = x + sa(self.norm1(x), pad_mask)
            return x + ff(self.norm2(x))
        x = self.norm1(x + sa(x, pad_mask))
        return self.norm2(x + ff(x))
        """,
        ("test_encoder_layer_padding",),
        "passes the course's mask (True = real) where PyTorch wants True = ignore",
    ),
    Mutant(
        "enc_wraps_torch_layer",
        "EncoderLayer",
        """
        def sa(h, pad_mask):
            kpm = None if pad_mask is None else ~pad_mask
            return self.self_attn(h, h, h, key_padding_mask=kpm, need_weights=False)[0]

        def ff(h):
            return self.linear2(torch.relu(self.linear1(h)))

        ref = nn.TransformerEncoderLayer(
            self.linear1.in_features, self.self_attn.num_heads,
            self.linear1.out_features, dropout=0.0, batch_first=True,
            norm_first=self.norm_first,
        )
        ref.load_state_dict(self.state_dict())
        return ref(x, src_key_padding_mask=None if pad_mask is None else ~pad_mask)
        """,
        ("test_encoder_layer_post_norm", "test_encoder_layer_pre_norm"),
        "wraps nn.TransformerEncoderLayer instead of writing the layer",
    ),
    # ---- DecoderLayer ----------------------------------------------------------------------------
    Mutant(
        "dec_cross_attention_keys_from_decoder",
        "DecoderLayer",
        """
        def sa(h, causal):
            T = h.shape[1]
            forbid = torch.ones(T, T, dtype=torch.bool).triu(1) if causal else None
            return self.self_attn(h, h, h, attn_mask=forbid, need_weights=False)[0]

        def ca(h, memory, memory_pad_mask):
            kpm = None if memory_pad_mask is None else ~memory_pad_mask
            return self.multihead_attn(h, h, memory, key_padding_mask=kpm, need_weights=False)[0]

        def ff(h):
            return self.linear2(torch.relu(self.linear1(h)))

        if self.norm_first:
            y = y + sa(self.norm1(y), causal)
            y = y + ca(self.norm2(y), memory, memory_pad_mask)
            return y + ff(self.norm3(y))
        y = self.norm1(y + sa(y, causal))
        y = self.norm2(y + ca(y, memory, memory_pad_mask))
        return self.norm3(y + ff(y))
        """,
        ("test_decoder_layer_shape",),
        "cross-attention reads the decoder's keys: multihead_attn(y, y, memory)",
    ),
    Mutant(
        "dec_cross_attention_is_self_attention",
        "DecoderLayer",
        """
        def sa(h, causal):
            T = h.shape[1]
            forbid = torch.ones(T, T, dtype=torch.bool).triu(1) if causal else None
            return self.self_attn(h, h, h, attn_mask=forbid, need_weights=False)[0]

        def ca(h, memory, memory_pad_mask):
            kpm = None if memory_pad_mask is None else None
            return self.multihead_attn(h, h, h, key_padding_mask=kpm, need_weights=False)[0]

        def ff(h):
            return self.linear2(torch.relu(self.linear1(h)))

        if self.norm_first:
            y = y + sa(self.norm1(y), causal)
            y = y + ca(self.norm2(y), memory, memory_pad_mask)
            return y + ff(self.norm3(y))
        y = self.norm1(y + sa(y, causal))
        y = self.norm2(y + ca(y, memory, memory_pad_mask))
        return self.norm3(y + ff(y))
        """,
        ("test_decoder_layer_post_norm", "test_decoder_layer_pre_norm"),
        "the second attention attends to the decoder again, never to the memory",
    ),
    Mutant(
        "dec_queries_from_memory",
        "DecoderLayer",
        """
        def sa(h, causal):
            T = h.shape[1]
            forbid = torch.ones(T, T, dtype=torch.bool).triu(1) if causal else None
            return self.self_attn(h, h, h, attn_mask=forbid, need_weights=False)[0]

        def ca(h, memory, memory_pad_mask):
            kpm = None if memory_pad_mask is None else None
            return self.multihead_attn(memory, h, h, key_padding_mask=kpm, need_weights=False)[0]

        def ff(h):
            return self.linear2(torch.relu(self.linear1(h)))

        if self.norm_first:
            y = y + sa(self.norm1(y), causal)
            y = y + ca(self.norm2(y), memory, memory_pad_mask)
            return y + ff(self.norm3(y))
        y = self.norm1(y + sa(y, causal))
        y = self.norm2(y + ca(y, memory, memory_pad_mask))
        return self.norm3(y + ff(y))
        """,
        ("test_decoder_layer_shape",),
        "queries from the encoder, keys and values from the decoder",
    ),
    Mutant(
        "dec_causal_off_by_one",
        "DecoderLayer",
        """
    def sa(h, causal):
        T = h.shape[1]
        forbid = torch.ones(T, T, dtype=torch.bool).triu(2) if causal else None
        return self.self_attn(h, h, h, attn_mask=forbid, need_weights=False)[0]

    def ca(h, memory, memory_pad_mask):
        kpm = None if memory_pad_mask is None else ~memory_pad_mask
        return self.multihead_attn(h, memory, memory, key_padding_mask=kpm, need_weights=False)[0]

    def ff(h):
        return self.linear2(torch.relu(self.linear1(h)))

    if self.norm_first:
        y = y + sa(self.norm1(y), causal)
        y = y + ca(self.norm2(y), memory, memory_pad_mask)
        return y + ff(self.norm3(y))
    y = self.norm1(y + sa(y, causal))
    y = self.norm2(y + ca(y, memory, memory_pad_mask))
    return self.norm3(y + ff(y))
        """,
        ("test_decoder_layer_causal", "test_decoder_layer_post_norm"),
        "the mask lets position t see position t + 1",
    ),
    Mutant(
        "dec_causal_mask_not_inverted",
        "DecoderLayer",
        """
    def sa(h, causal):
        T = h.shape[1]
        forbid = torch.ones(T, T, dtype=torch.bool).tril() if causal else None
        return self.self_attn(h, h, h, attn_mask=forbid, need_weights=False)[0]

    def ca(h, memory, memory_pad_mask):
        kpm = None if memory_pad_mask is None else ~memory_pad_mask
        return self.multihead_attn(h, memory, memory, key_padding_mask=kpm, need_weights=False)[0]

    def ff(h):
        return self.linear2(torch.relu(self.linear1(h)))

    if self.norm_first:
        y = y + sa(self.norm1(y), causal)
        y = y + ca(self.norm2(y), memory, memory_pad_mask)
        return y + ff(self.norm3(y))
    y = self.norm1(y + sa(y, causal))
    y = self.norm2(y + ca(y, memory, memory_pad_mask))
    return self.norm3(y + ff(y))
        """,
        ("test_decoder_layer_causal", "test_decoder_layer_post_norm"),
        "passes the course's causal mask (True = attend) where PyTorch wants True = forbidden",
    ),
    Mutant(
        "dec_no_causal_mask",
        "DecoderLayer",
        """
    def sa(h, causal):
        T = h.shape[1]
        forbid = None if causal else None
        return self.self_attn(h, h, h, attn_mask=forbid, need_weights=False)[0]

    def ca(h, memory, memory_pad_mask):
        kpm = None if memory_pad_mask is None else ~memory_pad_mask
        return self.multihead_attn(h, memory, memory, key_padding_mask=kpm, need_weights=False)[0]

    def ff(h):
        return self.linear2(torch.relu(self.linear1(h)))

    if self.norm_first:
        y = y + sa(self.norm1(y), causal)
        y = y + ca(self.norm2(y), memory, memory_pad_mask)
        return y + ff(self.norm3(y))
    y = self.norm1(y + sa(y, causal))
    y = self.norm2(y + ca(y, memory, memory_pad_mask))
    return self.norm3(y + ff(y))
        """,
        ("test_decoder_layer_causal", "test_decoder_layer_post_norm"),
        "forgets the causal mask",
    ),
    Mutant(
        "dec_always_causal",
        "DecoderLayer",
        """
    def sa(h, causal):
        T = h.shape[1]
        forbid = torch.ones(T, T, dtype=torch.bool).triu(1)
        return self.self_attn(h, h, h, attn_mask=forbid, need_weights=False)[0]

    def ca(h, memory, memory_pad_mask):
        kpm = None if memory_pad_mask is None else ~memory_pad_mask
        return self.multihead_attn(h, memory, memory, key_padding_mask=kpm, need_weights=False)[0]

    def ff(h):
        return self.linear2(torch.relu(self.linear1(h)))

    if self.norm_first:
        y = y + sa(self.norm1(y), causal)
        y = y + ca(self.norm2(y), memory, memory_pad_mask)
        return y + ff(self.norm3(y))
    y = self.norm1(y + sa(y, causal))
    y = self.norm2(y + ca(y, memory, memory_pad_mask))
    return self.norm3(y + ff(y))
        """,
        ("test_decoder_layer_causal",),
        "ignores causal=False",
    ),
    Mutant(
        "dec_memory_mask_ignored",
        "DecoderLayer",
        """
    def sa(h, causal):
        T = h.shape[1]
        forbid = torch.ones(T, T, dtype=torch.bool).triu(1) if causal else None
        return self.self_attn(h, h, h, attn_mask=forbid, need_weights=False)[0]

    def ca(h, memory, memory_pad_mask):
        kpm = None if memory_pad_mask is None else None
        return self.multihead_attn(h, memory, memory, key_padding_mask=kpm, need_weights=False)[0]

    def ff(h):
        return self.linear2(torch.relu(self.linear1(h)))

    if self.norm_first:
        y = y + sa(self.norm1(y), causal)
        y = y + ca(self.norm2(y), memory, memory_pad_mask)
        return y + ff(self.norm3(y))
    y = self.norm1(y + sa(y, causal))
    y = self.norm2(y + ca(y, memory, memory_pad_mask))
    return self.norm3(y + ff(y))
        """,
        ("test_decoder_layer_memory_mask",),
        "never passes the memory's padding mask to the cross-attention",
    ),
    Mutant(
        "dec_always_post_norm",
        "DecoderLayer",
        """
    def sa(h, causal):
        T = h.shape[1]
        forbid = torch.ones(T, T, dtype=torch.bool).triu(1) if causal else None
        return self.self_attn(h, h, h, attn_mask=forbid, need_weights=False)[0]

    def ca(h, memory, memory_pad_mask):
        kpm = None if memory_pad_mask is None else ~memory_pad_mask
        return self.multihead_attn(h, memory, memory, key_padding_mask=kpm, need_weights=False)[0]

    def ff(h):
        return self.linear2(torch.relu(self.linear1(h)))

    y = self.norm1(y + sa(y, causal))
    y = self.norm2(y + ca(y, memory, memory_pad_mask))
    return self.norm3(y + ff(y))
        """,
        ("test_decoder_layer_pre_norm",),
        "ignores norm_first: always post-norm",
    ),
    Mutant(
        "dec_norms_2_and_3_swapped",
        "DecoderLayer",
        """
    def sa(h, causal):
        T = h.shape[1]
        forbid = torch.ones(T, T, dtype=torch.bool).triu(1) if causal else None
        return self.self_attn(h, h, h, attn_mask=forbid, need_weights=False)[0]

    def ca(h, memory, memory_pad_mask):
        kpm = None if memory_pad_mask is None else ~memory_pad_mask
        return self.multihead_attn(h, memory, memory, key_padding_mask=kpm, need_weights=False)[0]

    def ff(h):
        return self.linear2(torch.relu(self.linear1(h)))

    if self.norm_first:
        y = y + sa(self.norm1(y), causal)
        y = y + ca(self.norm3(y), memory, memory_pad_mask)
        return y + ff(self.norm2(y))
    y = self.norm1(y + sa(y, causal))
    y = self.norm3(y + ca(y, memory, memory_pad_mask))
    return self.norm2(y + ff(y))
        """,
        ("test_decoder_layer_post_norm", "test_decoder_layer_pre_norm"),
        "uses norm3 for the cross-attention and norm2 for the feed-forward",
    ),
    Mutant(
        "dec_pre_norm_normalises_memory",
        "DecoderLayer",
        """
    def sa(h, causal):
        T = h.shape[1]
        forbid = torch.ones(T, T, dtype=torch.bool).triu(1) if causal else None
        return self.self_attn(h, h, h, attn_mask=forbid, need_weights=False)[0]

    def ca(h, memory, memory_pad_mask):
        kpm = None if memory_pad_mask is None else ~memory_pad_mask
        return self.multihead_attn(h, memory, memory, key_padding_mask=kpm, need_weights=False)[0]

    def ff(h):
        return self.linear2(torch.relu(self.linear1(h)))

    if self.norm_first:
        y = y + sa(self.norm1(y), causal)
        y = y + ca(self.norm2(y), self.norm2(memory), memory_pad_mask)
        return y + ff(self.norm3(y))
    y = self.norm1(y + sa(y, causal))
    y = self.norm2(y + ca(y, memory, memory_pad_mask))
    return self.norm3(y + ff(y))
        """,
        ("test_decoder_layer_pre_norm",),
        "pre-norm that also normalises the memory before the cross-attention",
    ),
    Mutant(
        "dec_wraps_torch_layer",
        "DecoderLayer",
        """
    def sa(h, causal):
        T = h.shape[1]
        forbid = torch.ones(T, T, dtype=torch.bool).triu(1) if causal else None
        return self.self_attn(h, h, h, attn_mask=forbid, need_weights=False)[0]

    def ca(h, memory, memory_pad_mask):
        kpm = None if memory_pad_mask is None else ~memory_pad_mask
        return self.multihead_attn(h, memory, memory, key_padding_mask=kpm, need_weights=False)[0]

    def ff(h):
        return self.linear2(torch.relu(self.linear1(h)))

    ref = nn.TransformerDecoderLayer(
        self.linear1.in_features, self.self_attn.num_heads,
        self.linear1.out_features, dropout=0.0, batch_first=True,
        norm_first=self.norm_first,
    )
    ref.load_state_dict(self.state_dict())
    T = y.shape[1]
    return ref(y, memory,
               tgt_mask=torch.ones(T, T, dtype=torch.bool).triu(1) if causal
               else None,
               memory_key_padding_mask=None if memory_pad_mask is None
               else ~memory_pad_mask)
        """,
        ("test_decoder_layer_post_norm", "test_decoder_layer_pre_norm"),
        "wraps nn.TransformerDecoderLayer instead of writing the layer",
    ),
    # ---- Transformer -----------------------------------------------------------------------------
    Mutant(
        "tf_sqrt_d_scale",
        "Transformer",
        (
            """
            S = src.shape[1]
            pad_mask = torch.arange(S)[None, :] < src_lens[:, None]
            x = self.src_emb(src) * math.sqrt(self.pe.shape[1]) + self.pe[:S]
            for layer in self.encoder_layers:
                x = layer(x, pad_mask)
            return self.enc_norm(x), pad_mask
            """,
            """
            y = self.tgt_emb(dec_in) * math.sqrt(self.pe.shape[1]) + self.pe[: dec_in.shape[1]]
            for layer in self.decoder_layers:
                y = layer(y, memory, pad_mask, causal=True)
            return self.out(self.dec_norm(y))
            """,
            _DECODE,
        ),
        ("test_transformer_values",),
        "multiplies the embeddings by sqrt(d_model), which the notebook does not",
    ),
    Mutant(
        "tf_no_positional_encoding",
        "Transformer",
        (
            """
            S = src.shape[1]
            pad_mask = torch.arange(S)[None, :] < src_lens[:, None]
            x = self.src_emb(src)
            for layer in self.encoder_layers:
                x = layer(x, pad_mask)
            return self.enc_norm(x), pad_mask
            """,
            """
            y = self.tgt_emb(dec_in)
            for layer in self.decoder_layers:
                y = layer(y, memory, pad_mask, causal=True)
            return self.out(self.dec_norm(y))
            """,
            _DECODE,
        ),
        ("test_transformer_positions", "test_transformer_values"),
        "forgets the positional encoding: the model sees bags of tokens",
    ),
    Mutant(
        "tf_pe_on_source_only",
        "Transformer",
        (
            _ENCODE,
            """
            y = self.tgt_emb(dec_in)
            for layer in self.decoder_layers:
                y = layer(y, memory, pad_mask, causal=True)
            return self.out(self.dec_norm(y))
            """,
            _DECODE,
        ),
        ("test_transformer_values",),
        "adds the positional encoding to the source but not to the decoder's input",
    ),
    Mutant(
        "tf_decoder_not_causal",
        "Transformer",
        (
            _ENCODE,
            """
            y = self.tgt_emb(dec_in) + self.pe[: dec_in.shape[1]]
            for layer in self.decoder_layers:
                y = layer(y, memory, pad_mask, causal=False)
            return self.out(self.dec_norm(y))
            """,
            _DECODE,
        ),
        ("test_transformer_causal", "test_transformer_decode"),
        "runs the decoder layers without the causal mask",
    ),
    Mutant(
        "tf_mask_from_token_ids",
        "Transformer",
        (
            """
            S = src.shape[1]
            pad_mask = src != PAD
            x = self.src_emb(src) + self.pe[:S]
            for layer in self.encoder_layers:
                x = layer(x, pad_mask)
            return self.enc_norm(x), pad_mask
            """,
            _DECODE_LOGITS,
            _DECODE,
        ),
        ("test_transformer_padding",),
        "builds the padding mask from the token ids instead of src_lens",
    ),
    Mutant(
        "tf_no_padding_mask",
        "Transformer",
        (
            """
            S = src.shape[1]
            pad_mask = torch.arange(S)[None, :] < src_lens[:, None]
            x = self.src_emb(src) + self.pe[:S]
            for layer in self.encoder_layers:
                x = layer(x, None)
            return self.enc_norm(x), pad_mask
            """,
            """
            y = self.tgt_emb(dec_in) + self.pe[: dec_in.shape[1]]
            for layer in self.decoder_layers:
                y = layer(y, memory, None, causal=True)
            return self.out(self.dec_norm(y))
            """,
            _DECODE,
        ),
        ("test_transformer_padding",),
        "never passes the padding mask to the layers",
    ),
    Mutant(
        "tf_no_final_norms",
        "Transformer",
        (
            """
            S = src.shape[1]
            pad_mask = torch.arange(S)[None, :] < src_lens[:, None]
            x = self.src_emb(src) + self.pe[:S]
            for layer in self.encoder_layers:
                x = layer(x, pad_mask)
            return x, pad_mask
            """,
            """
            y = self.tgt_emb(dec_in) + self.pe[: dec_in.shape[1]]
            for layer in self.decoder_layers:
                y = layer(y, memory, pad_mask, causal=True)
            return self.out(y)
            """,
            _DECODE,
        ),
        ("test_transformer_values",),
        "skips the final enc_norm and dec_norm",
    ),
    Mutant(
        "tf_decoder_reads_embeddings",
        "Transformer",
        (
            """
            S = src.shape[1]
            pad_mask = torch.arange(S)[None, :] < src_lens[:, None]
            x = self.src_emb(src) + self.pe[:S]
            for layer in self.encoder_layers:
                x = layer(x, pad_mask)
            return self.enc_norm(self.src_emb(src) + self.pe[:S]), pad_mask
            """,
            _DECODE_LOGITS,
            _DECODE,
        ),
        ("test_transformer_values",),
        "gives the decoder the embedded source instead of the encoder's output",
    ),
    Mutant(
        "tf_decode_keeps_sos",
        "Transformer",
        (
            _ENCODE,
            _DECODE_LOGITS,
            """
            memory, pad_mask = self.encode(src, src_lens)
            tokens = torch.full((src.shape[0], 1), SOS, dtype=torch.long)
            for _ in range(out_len):
                logits = self.decode_logits(tokens, memory, pad_mask)
                tokens = torch.cat([tokens, logits[:, -1].argmax(dim=-1, keepdim=True)], dim=1)
            return tokens
            """,
        ),
        ("test_transformer_shapes", "test_transformer_decode"),
        "returns the tokens with the leading SOS",
    ),
    Mutant(
        "tf_decode_first_position",
        "Transformer",
        (
            _ENCODE,
            _DECODE_LOGITS,
            """
            memory, pad_mask = self.encode(src, src_lens)
            tokens = torch.full((src.shape[0], 1), SOS, dtype=torch.long)
            for _ in range(out_len):
                logits = self.decode_logits(tokens, memory, pad_mask)
                tokens = torch.cat([tokens, logits[:, 0].argmax(dim=-1, keepdim=True)], dim=1)
            return tokens[:, 1:]
            """,
        ),
        ("test_transformer_decode",),
        "takes each step's prediction from the first position instead of the last",
    ),
    Mutant(
        "tf_decode_one_pass",
        "Transformer",
        (
            _ENCODE,
            _DECODE_LOGITS,
            """
            dec_in = torch.full((src.shape[0], out_len), SOS, dtype=torch.long)
            return self(src, src_lens, dec_in).argmax(dim=-1)
            """,
        ),
        ("test_transformer_decode",),
        "predicts every position in one pass from a row of SOS, never feeding outputs back",
    ),
    Mutant(
        "tf_decode_extra_step",
        "Transformer",
        (
            _ENCODE,
            _DECODE_LOGITS,
            """
            memory, pad_mask = self.encode(src, src_lens)
            tokens = torch.full((src.shape[0], 1), SOS, dtype=torch.long)
            for _ in range(out_len + 1):
                logits = self.decode_logits(tokens, memory, pad_mask)
                tokens = torch.cat([tokens, logits[:, -1].argmax(dim=-1, keepdim=True)], dim=1)
            return tokens[:, 1:]
            """,
        ),
        ("test_transformer_shapes", "test_transformer_decode"),
        "decodes one token too many",
    ),
    # ---- length_prediction -----------------------------------------------------------------------
    Mutant(
        "beyond_a",
        "length_prediction",
        'prediction_beyond = "a"',
        ("test_length_prediction",),
        "trusts the rotation property to carry over to lengths never trained on",
    ),
    Mutant(
        "beyond_b",
        "length_prediction",
        'prediction_beyond = "b"',
        ("test_length_prediction",),
        "expects only the outputs that read unseen source positions to fail",
    ),
    Mutant(
        "beyond_d",
        "length_prediction",
        'prediction_beyond = "d"',
        ("test_length_prediction",),
        "expects a gradual decline, as for the LSTM",
    ),
    Mutant(
        "beyond_option_number",
        "length_prediction",
        "prediction_beyond = 3",
        ("test_length_prediction",),
        "gives the option's number instead of its letter",
    ),
    Mutant(
        "beyond_two_letters",
        "length_prediction",
        'prediction_beyond = "c or d"',
        ("test_length_prediction",),
        "hedges between two options",
    ),
    Mutant(
        "beyond_option_text",
        "length_prediction",
        'prediction_beyond = "near chance"',
        ("test_length_prediction",),
        "copies the option's text instead of its letter",
    ),
    # ---- understanding ---------------------------------------------------------------------------
    Mutant(
        "q1_identical",
        "understanding",
        """
        answer_1 = 'a'
        answer_2 = "a"
        answer_3 = "d"
        answer_4 = 5.66
        answer_5 = "b"
        """,
        ("test_understanding_q1",),
        "thinks attention without positions returns the same sequence",
    ),
    Mutant(
        "q2_post_norm",
        "understanding",
        """
        answer_1 = "c"
        answer_2 = 'b'
        answer_3 = "d"
        answer_4 = 5.66
        answer_5 = "b"
        """,
        ("test_understanding_q2",),
        "confuses pre-norm with post-norm",
    ),
    Mutant(
        "q3_reversed",
        "understanding",
        """
        answer_1 = "c"
        answer_2 = "a"
        answer_3 = 'b'
        answer_4 = 5.66
        answer_5 = "b"
        """,
        ("test_understanding_q3",),
        "takes the queries from the encoder",
    ),
    Mutant(
        "q4_squared",
        "understanding",
        """
        answer_1 = "c"
        answer_2 = "a"
        answer_3 = "d"
        answer_4 = 32
        answer_5 = "b"
        """,
        ("test_understanding_q4",),
        "gives the squared norm",
    ),
    Mutant(
        "q4_as_text",
        "understanding",
        """
        answer_1 = "c"
        answer_2 = "a"
        answer_3 = "d"
        answer_4 = '5.66'
        answer_5 = "b"
        """,
        ("test_understanding_q4",),
        "writes the number as a string",
    ),
    Mutant(
        "q5_padding",
        "understanding",
        """
        answer_1 = "c"
        answer_2 = "a"
        answer_3 = "d"
        answer_4 = 5.66
        answer_5 = 'a'
        """,
        ("test_understanding_q5",),
        "confuses the causal mask with the padding mask",
    ),
]
