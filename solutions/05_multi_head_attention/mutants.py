"""Common wrong answers to notebook 05; each must lose points on the test cell it names.

Each mutant carries only what replaces the solution region(s) of its cell, the lines
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (a tuple, one string per region, for a
cell with several); the harness splices it into the notebook's current cell, so the given
code is never copied here.

Run with ``python -m autograder mutants --assignment 05_multi_head_attention``.
"""

from autograder.mutants import Mutant

MUTANTS = [
    # ---- split_heads -----------------------------------------------------------------------------
    Mutant(
        "split_no_transpose",
        "split_heads",
        """
        B, L, D = x.shape
        return x.reshape(B, num_heads, L, D // num_heads)
        """,
        ("test_split_heads_values",),
        "reshapes straight to (B, h, L, d_head): right shape, tokens mixed up",
    ),
    Mutant(
        "split_wrong_order",
        "split_heads",
        """
        B, L, D = x.shape
        return x.reshape(B, L, D // num_heads, num_heads).permute(0, 3, 1, 2)
        """,
        ("test_split_heads_values",),
        "views the features as (d_head, h): head i gets every h-th feature",
    ),
    Mutant(
        "split_missing_transpose",
        "split_heads",
        """
        B, L, D = x.shape
        return x.reshape(B, L, num_heads, D // num_heads)
        """,
        ("test_split_heads_shape",),
        "forgets the transpose: (B, L, h, d_head)",
    ),
    Mutant(
        "split_h_and_d_head_swapped",
        "split_heads",
        """
        B, L, D = x.shape
        return x.reshape(B, L, D // num_heads, num_heads).transpose(1, 2)
        """,
        ("test_split_heads_shape",),
        "confuses num_heads and d_head",
    ),
    Mutant(
        "split_transpose_first",
        "split_heads",
        """
        B, L, D = x.shape
        return x.transpose(1, 2).reshape(B, num_heads, L, D // num_heads)
        """,
        ("test_split_heads_values",),
        "transposes (B, L, D) first, then reshapes: features and tokens interleaved",
    ),
    Mutant(
        "split_wrong_axes_transposed",
        "split_heads",
        """
        B, L, D = x.shape
        return x.reshape(B, L, num_heads, D // num_heads).transpose(2, 3)
        """,
        ("test_split_heads_shape",),
        "transposes the last two axes instead of L and h",
    ),
    Mutant(
        "split_the_sequence",
        "split_heads",
        """
        return torch.stack(x.chunk(num_heads, dim=1), dim=1)
        """,
        ("test_split_heads_shape",),
        "cuts the sequence into chunks instead of the features",
    ),
    # ---- merge_heads -----------------------------------------------------------------------------
    Mutant(
        "merge_no_transpose",
        "merge_heads",
        """
        B, h, L, dh = x.shape
        return x.reshape(B, L, h * dh)
        """,
        ("test_merge_heads_values",),
        "reshapes (B, h, L, d_head) straight to (B, L, D): right shape, wrong values",
    ),
    Mutant(
        "merge_wrong_order",
        "merge_heads",
        """
        B, h, L, dh = x.shape
        return x.permute(0, 2, 3, 1).reshape(B, L, h * dh)
        """,
        ("test_merge_heads_values",),
        "interleaves the heads' features instead of concatenating them",
    ),
    Mutant(
        "merge_view_after_transpose",
        "merge_heads",
        """
        B, h, L, dh = x.shape
        return x.transpose(1, 2).view(B, L, h * dh)
        """,
        ("test_merge_heads_shape", "test_merge_heads_values"),
        ".view on a non-contiguous tensor raises",
    ),
    Mutant(
        "merge_sums_heads",
        "merge_heads",
        """
        return x.sum(dim=1)
        """,
        ("test_merge_heads_shape",),
        "adds the heads instead of concatenating them",
    ),
    Mutant(
        "merge_mean_heads",
        "merge_heads",
        """
        return x.mean(dim=1)
        """,
        ("test_merge_heads_shape",),
        "averages the heads instead of concatenating them",
    ),
    Mutant(
        "merge_forgets_reshape",
        "merge_heads",
        """
        return x.transpose(1, 2)
        """,
        ("test_merge_heads_shape",),
        "transposes but never joins the last two axes",
    ),
    Mutant(
        "merge_transposes_last_axes",
        "merge_heads",
        """
        B, h, L, dh = x.shape
        return x.transpose(2, 3).reshape(B, L, h * dh)
        """,
        ("test_merge_heads_values",),
        "transposes L and d_head instead of h and L",
    ),
    # ---- MultiHeadAttention ----------------------------------------------------------------------
    Mutant(
        "mha_no_out_proj",
        "MultiHeadAttention",
        """
        q = split_heads(self.q_proj(query), self.num_heads)
        k = split_heads(self.k_proj(key), self.num_heads)
        v = split_heads(self.v_proj(value), self.num_heads)
        context, weights = scaled_dot_product_attention(q, k, v, mask)
        return merge_heads(context), weights
        """,
        ("test_multi_head_attention_values",),
        "forgets the output projection W^O",
    ),
    Mutant(
        "mha_scale_d_model",
        "MultiHeadAttention",
        """
        h = self.num_heads
        B, L, D = query.shape
        q = self.q_proj(query).view(B, L, h, D // h).transpose(1, 2)
        k = self.k_proj(key).view(B, key.shape[1], h, D // h).transpose(1, 2)
        v = self.v_proj(value).view(B, value.shape[1], h, D // h).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(D)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = (weights @ v).transpose(1, 2).reshape(B, L, D)
        return self.out_proj(context), weights
        """,
        ("test_multi_head_attention_weights", "test_multi_head_attention_values"),
        "scales by sqrt(d_model) instead of sqrt(d_head)",
    ),
    Mutant(
        "mha_no_scale",
        "MultiHeadAttention",
        """
        h = self.num_heads
        B, L, D = query.shape
        q = self.q_proj(query).view(B, L, h, D // h).transpose(1, 2)
        k = self.k_proj(key).view(B, key.shape[1], h, D // h).transpose(1, 2)
        v = self.v_proj(value).view(B, value.shape[1], h, D // h).transpose(1, 2)
        scores = q @ k.transpose(-2, -1)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = (weights @ v).transpose(1, 2).reshape(B, L, D)
        return self.out_proj(context), weights
        """,
        ("test_multi_head_attention_weights", "test_multi_head_attention_values"),
        "forgets the 1/sqrt(d_head) scale",
    ),
    Mutant(
        "mha_softmax_over_queries",
        "MultiHeadAttention",
        """
        h = self.num_heads
        B, L, D = query.shape
        q = self.q_proj(query).view(B, L, h, D // h).transpose(1, 2)
        k = self.k_proj(key).view(B, key.shape[1], h, D // h).transpose(1, 2)
        v = self.v_proj(value).view(B, value.shape[1], h, D // h).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(D // h)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-2)
        context = (weights @ v).transpose(1, 2).reshape(B, L, D)
        return self.out_proj(context), weights
        """,
        ("test_multi_head_attention_weights",),
        "takes the softmax over the queries (dim=-2) instead of the keys",
    ),
    Mutant(
        "mha_mask_ignored",
        "MultiHeadAttention",
        """
        q = split_heads(self.q_proj(query), self.num_heads)
        k = split_heads(self.k_proj(key), self.num_heads)
        v = split_heads(self.v_proj(value), self.num_heads)
        context, weights = scaled_dot_product_attention(q, k, v)
        return self.out_proj(merge_heads(context)), weights
        """,
        ("test_multi_head_attention_mask",),
        "never passes the mask on",
    ),
    Mutant(
        "mha_mask_inverted",
        "MultiHeadAttention",
        """
        q = split_heads(self.q_proj(query), self.num_heads)
        k = split_heads(self.k_proj(key), self.num_heads)
        v = split_heads(self.v_proj(value), self.num_heads)
        if mask is not None:
            mask = ~mask
        context, weights = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(merge_heads(context)), weights
        """,
        ("test_multi_head_attention_mask",),
        "uses PyTorch's True = forbidden convention",
    ),
    Mutant(
        "mha_weights_averaged",
        "MultiHeadAttention",
        """
        q = split_heads(self.q_proj(query), self.num_heads)
        k = split_heads(self.k_proj(key), self.num_heads)
        v = split_heads(self.v_proj(value), self.num_heads)
        context, weights = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(merge_heads(context)), weights.mean(dim=1)
        """,
        ("test_multi_head_attention_shapes",),
        "averages the weights over the heads, as nn.MultiheadAttention does by default",
    ),
    Mutant(
        "mha_q_and_k_projections_swapped",
        "MultiHeadAttention",
        """
        q = split_heads(self.k_proj(query), self.num_heads)
        k = split_heads(self.q_proj(key), self.num_heads)
        v = split_heads(self.v_proj(value), self.num_heads)
        context, weights = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(merge_heads(context)), weights
        """,
        ("test_multi_head_attention_weights",),
        "projects the queries with W^K and the keys with W^Q",
    ),
    Mutant(
        "mha_values_from_key",
        "MultiHeadAttention",
        """
        q = split_heads(self.q_proj(query), self.num_heads)
        k = split_heads(self.k_proj(key), self.num_heads)
        v = split_heads(self.v_proj(key), self.num_heads)
        context, weights = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(merge_heads(context)), weights
        """,
        ("test_multi_head_attention_values",),
        "projects the keys, not the values, into V (right only in self-attention)",
    ),
    Mutant(
        "mha_k_and_v_projections_swapped",
        "MultiHeadAttention",
        """
        q = split_heads(self.q_proj(query), self.num_heads)
        k = split_heads(self.v_proj(key), self.num_heads)
        v = split_heads(self.k_proj(value), self.num_heads)
        context, weights = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(merge_heads(context)), weights
        """,
        ("test_multi_head_attention_weights",),
        "uses W^V for the keys and W^K for the values",
    ),
    Mutant(
        "mha_inline_split_without_transpose",
        "MultiHeadAttention",
        """
        h = self.num_heads
        B, L, D = query.shape
        S = key.shape[1]
        q = self.q_proj(query).reshape(B, h, L, D // h)
        k = self.k_proj(key).reshape(B, h, S, D // h)
        v = self.v_proj(value).reshape(B, h, S, D // h)
        context, weights = scaled_dot_product_attention(q, k, v, mask)
        return self.out_proj(context.reshape(B, L, D)), weights
        """,
        ("test_multi_head_attention_weights",),
        "splits and merges the heads by reshaping alone, without transposing",
    ),
    Mutant(
        "mha_one_big_head",
        "MultiHeadAttention",
        """
        q, k, v = self.q_proj(query), self.k_proj(key), self.v_proj(value)
        if mask is not None:
            mask = mask.all(dim=-3) if mask.dim() == 4 else mask
        context, weights = scaled_dot_product_attention(q, k, v, mask)
        weights = weights.unsqueeze(1).expand(-1, self.num_heads, -1, -1)
        return self.out_proj(context), weights
        """,
        ("test_multi_head_attention_weights", "test_multi_head_attention_values"),
        "never splits into heads: one attention over the full width, repeated h times",
    ),
    # ---- load_torch_weights ----------------------------------------------------------------------
    Mutant(
        "load_qkv_order",
        "load_torch_weights",
        """
        D = module.q_proj.in_features
        w, b = reference.in_proj_weight, reference.in_proj_bias
        with torch.no_grad():
            module.k_proj.weight.copy_(w[:D])
            module.q_proj.weight.copy_(w[D:2 * D])
            module.v_proj.weight.copy_(w[2 * D:])
            module.k_proj.bias.copy_(b[:D])
            module.q_proj.bias.copy_(b[D:2 * D])
            module.v_proj.bias.copy_(b[2 * D:])
            module.out_proj.load_state_dict(reference.out_proj.state_dict())
        return module
        """,
        ("test_load_torch_weights_parameters", "test_load_torch_weights_output"),
        "assumes in_proj_weight stacks K before Q",
    ),
    Mutant(
        "load_transposed",
        "load_torch_weights",
        """
        D = module.q_proj.in_features
        w, b = reference.in_proj_weight, reference.in_proj_bias
        with torch.no_grad():
            module.q_proj.weight.copy_(w[:D].T)
            module.k_proj.weight.copy_(w[D:2 * D].T)
            module.v_proj.weight.copy_(w[2 * D:].T)
            module.q_proj.bias.copy_(b[:D])
            module.k_proj.bias.copy_(b[D:2 * D])
            module.v_proj.bias.copy_(b[2 * D:])
            module.out_proj.weight.copy_(reference.out_proj.weight.T)
            module.out_proj.bias.copy_(reference.out_proj.bias)
        return module
        """,
        ("test_load_torch_weights_parameters", "test_load_torch_weights_output"),
        "transposes the weights, thinking torch stores (in, out)",
    ),
    Mutant(
        "load_no_biases",
        "load_torch_weights",
        """
        D = module.q_proj.in_features
        w, b = reference.in_proj_weight, reference.in_proj_bias
        with torch.no_grad():
            module.q_proj.weight.copy_(w[:D])
            module.k_proj.weight.copy_(w[D:2 * D])
            module.v_proj.weight.copy_(w[2 * D:])
            module.out_proj.weight.copy_(reference.out_proj.weight)
        return module
        """,
        ("test_load_torch_weights_parameters", "test_load_torch_weights_output"),
        "copies the weight matrices but not the biases",
    ),
    Mutant(
        "load_no_out_proj",
        "load_torch_weights",
        """
        D = module.q_proj.in_features
        w, b = reference.in_proj_weight, reference.in_proj_bias
        with torch.no_grad():
            module.q_proj.weight.copy_(w[:D])
            module.k_proj.weight.copy_(w[D:2 * D])
            module.v_proj.weight.copy_(w[2 * D:])
            module.q_proj.bias.copy_(b[:D])
            module.k_proj.bias.copy_(b[D:2 * D])
            module.v_proj.bias.copy_(b[2 * D:])
        return module
        """,
        ("test_load_torch_weights_parameters", "test_load_torch_weights_output"),
        "forgets to copy the output projection",
    ),
    Mutant(
        "load_shares_storage",
        "load_torch_weights",
        """
        D = module.q_proj.in_features
        w, b = reference.in_proj_weight, reference.in_proj_bias
        module.q_proj.weight.data = w.data[:D]
        module.k_proj.weight.data = w.data[D:2 * D]
        module.v_proj.weight.data = w.data[2 * D:]
        module.q_proj.bias.data = b.data[:D]
        module.k_proj.bias.data = b.data[D:2 * D]
        module.v_proj.bias.data = b.data[2 * D:]
        module.out_proj.weight.data = reference.out_proj.weight.data
        module.out_proj.bias.data = reference.out_proj.bias.data
        return module
        """,
        ("test_load_torch_weights_parameters",),
        "shares the reference's storage instead of copying: later changes leak through",
    ),
    Mutant(
        "load_chunks_wrong_axis",
        "load_torch_weights",
        """
        D = module.q_proj.in_features
        w, b = reference.in_proj_weight, reference.in_proj_bias
        wq, wk, wv = w.chunk(3, dim=1)
        with torch.no_grad():
            module.q_proj.weight.copy_(wq)
            module.k_proj.weight.copy_(wk)
            module.v_proj.weight.copy_(wv)
            module.out_proj.load_state_dict(reference.out_proj.state_dict())
        return module
        """,
        ("test_load_torch_weights_parameters", "test_load_torch_weights_output"),
        "cuts in_proj_weight along the input axis",
    ),
    Mutant(
        "load_v_and_q_swapped",
        "load_torch_weights",
        """
        D = module.q_proj.in_features
        w, b = reference.in_proj_weight, reference.in_proj_bias
        wq, wk, wv = w.chunk(3)
        bq, bk, bv = b.chunk(3)
        with torch.no_grad():
            module.q_proj.weight.copy_(wv)
            module.k_proj.weight.copy_(wk)
            module.v_proj.weight.copy_(wq)
            module.q_proj.bias.copy_(bv)
            module.k_proj.bias.copy_(bk)
            module.v_proj.bias.copy_(bq)
            module.out_proj.load_state_dict(reference.out_proj.state_dict())
        return module
        """,
        ("test_load_torch_weights_parameters", "test_load_torch_weights_output"),
        "unpacks the blocks as (v, k, q)",
    ),
    # ---- understanding ---------------------------------------------------------------------------
    Mutant(
        "q1_number_of_heads",
        "understanding",
        """
        answer_1 = 8
        answer_2 = "c"
        answer_3 = 4.0
        answer_4 = "a"
        answer_5 = "c"
        """,
        ("test_understanding_q1",),
        "answers the number of heads instead of their size",
    ),
    Mutant(
        "q1_as_text",
        "understanding",
        """
        answer_1 = '64'
        answer_2 = "c"
        answer_3 = 4.0
        answer_4 = "a"
        answer_5 = "c"
        """,
        ("test_understanding_q1",),
        "writes the number as a string",
    ),
    Mutant(
        "q2_doubles",
        "understanding",
        """
        answer_1 = 64
        answer_2 = 'a'
        answer_3 = 4.0
        answer_4 = "a"
        answer_5 = "c"
        """,
        ("test_understanding_q2",),
        "thinks each extra head brings its own full-size projections",
    ),
    Mutant(
        "q3_inverted",
        "understanding",
        """
        answer_1 = 64
        answer_2 = "c"
        answer_3 = 0.25
        answer_4 = "a"
        answer_5 = "c"
        """,
        ("test_understanding_q3",),
        "computes d / n instead of n / d",
    ),
    Mutant(
        "q4_reversed",
        "understanding",
        """
        answer_1 = 64
        answer_2 = "c"
        answer_3 = 4.0
        answer_4 = 'b'
        answer_5 = "c"
        """,
        ("test_understanding_q4",),
        "swaps which layer is sequential",
    ),
    Mutant(
        "q5_nothing_wrong",
        "understanding",
        """
        answer_1 = 64
        answer_2 = "c"
        answer_3 = 4.0
        answer_4 = "a"
        answer_5 = 'a'
        """,
        ("test_understanding_q5",),
        "trusts the shape",
    ),
    # ---- memory_prediction ----------------------------------------------------------------------
    Mutant(
        "mem_linear",
        "memory_prediction",
        """
        prediction_memory_factor = 4
        """,
        ("test_memory_prediction",),
        "thinks attention keeps one state per token, like the RNN",
    ),
    Mutant(
        "mem_doubling",
        "memory_prediction",
        """
        prediction_memory_factor = 2
        """,
        ("test_memory_prediction",),
        "reads 'four times as long' as one doubling",
    ),
    Mutant(
        "mem_cubic",
        "memory_prediction",
        """
        prediction_memory_factor = 64
        """,
        ("test_memory_prediction",),
        "counts n * n * n: the scores as if each took work n to store",
    ),
    Mutant(
        "mem_constant",
        "memory_prediction",
        """
        prediction_memory_factor = 1
        """,
        ("test_memory_prediction",),
        "thinks the memory is fixed by the parameters, not by n",
    ),
    Mutant(
        "mem_n_log_n",
        "memory_prediction",
        """
        prediction_memory_factor = 4 * 1.25
        """,
        ("test_memory_prediction",),
        "expects n log n growth, as for a sort",
    ),
    Mutant(
        "mem_ratio_backwards",
        "memory_prediction",
        """
        prediction_memory_factor = 1 / 16
        """,
        ("test_memory_prediction",),
        "divides the short sequence's memory by the long one's",
    ),
]
