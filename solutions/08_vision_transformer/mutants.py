"""Common wrong answers to notebook 08; each must lose points on the test cells it names.

Each mutant carries only what replaces the solution region(s) of its cell, the lines
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (a tuple, one string per region, for a
cell with several: the ``patchify`` cell has two, ``patchify`` then ``unpatchify``); the harness
splices it into the notebook's current cell, so the given code is never copied here.

Run with ``python -m autograder mutants --assignment 08_vision_transformer``.
"""

from autograder.mutants import Mutant

# The right answers of the patchify cell, for mutants that break only the other region.
PATCHIFY = """
if images.dim() == 3:
    images = images.unsqueeze(1)
b, c, h, w = images.shape
p = patch_size
x = images.reshape(b, c, h // p, p, w // p, p)
x = x.permute(0, 2, 4, 1, 3, 5)
return x.reshape(b, (h // p) * (w // p), c * p * p)
"""
UNPATCHIFY = """
b, p = patches.shape[0], patch_size
c = patches.shape[-1] // (p * p)
x = patches.reshape(b, height // p, width // p, c, p, p)
x = x.permute(0, 3, 1, 4, 2, 5)
return x.reshape(b, c, height, width)
"""


def _patchify_permuted(order: str) -> str:
    """A patchify whose permute of (B, C, H/P, P, W/P, P) is ``order``."""
    return f"""
    if images.dim() == 3:
        images = images.unsqueeze(1)
    b, c, h, w = images.shape
    p = patch_size
    x = images.reshape(b, c, h // p, p, w // p, p)
    x = x.permute({order})
    return x.reshape(b, (h // p) * (w // p), c * p * p)
    """


def _quiz(**answers: object) -> str:
    """The quiz cell with the right answers except those given."""
    chosen = {"answer_1": 197, "answer_2": "c", "answer_3": "d", "answer_4": "a", "answer_5": "c"}
    chosen.update(answers)
    return "\n".join(f"{name} = {value!r}" for name, value in chosen.items())


MUTANTS = [
    # ---- patchify / unpatchify --------------------------------------------------------------
    Mutant(
        "patchify_column_order",
        "patchify",
        (_patchify_permuted("0, 4, 2, 1, 3, 5"), UNPATCHIFY),
        ("test_patchify_order",),
        "patches read column by column: the two grid axes swapped",
    ),
    Mutant(
        "patchify_reshape_only",
        "patchify",
        (
            """
            if images.dim() == 3:
                images = images.unsqueeze(1)
            b, c, h, w = images.shape
            return images.reshape(b, (h // patch_size) * (w // patch_size), -1)
            """,
            UNPATCHIFY,
        ),
        ("test_patchify_order", "test_patchify_channels"),
        "a reshape without the permute: strips of rows, not square patches",
    ),
    Mutant(
        "patchify_patch_transposed",
        "patchify",
        (_patchify_permuted("0, 2, 4, 1, 5, 3"), UNPATCHIFY),
        ("test_patchify_order",),
        "rows and columns inside each patch transposed: flattened column by column",
    ),
    Mutant(
        "patchify_channels_last",
        "patchify",
        (_patchify_permuted("0, 2, 4, 3, 5, 1"), UNPATCHIFY),
        ("test_patchify_channels",),
        "channels in the wrong place: pixel by pixel, channels interleaved (p1 p2 c)",
    ),
    Mutant(
        "patchify_no_channel_axis",
        "patchify",
        (
            """
            b, c, h, w = images.shape
            p = patch_size
            x = images.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5)
            return x.reshape(b, (h // p) * (w // p), c * p * p)
            """,
            UNPATCHIFY,
        ),
        ("test_patchify_shape", "test_patchify_order"),
        "handles only (B, C, H, W): a (B, H, W) batch of digits fails",
    ),
    Mutant(
        "patchify_ignores_channels",
        "patchify",
        (
            """
            if images.dim() == 3:
                images = images.unsqueeze(1)
            b, c, h, w = images.shape
            p = patch_size
            x = images.reshape(b, c, h // p, p, w // p, p).permute(0, 1, 2, 4, 3, 5)
            return x.reshape(b, -1, p * p)
            """,
            UNPATCHIFY,
        ),
        ("test_patchify_shape", "test_patchify_channels"),
        "one patch per channel: (B, C N, P P) instead of (B, N, C P P)",
    ),
    Mutant(
        "unpatchify_wrong_permute",
        "patchify",
        (
            PATCHIFY,
            """
            b, p = patches.shape[0], patch_size
            c = patches.shape[-1] // (p * p)
            x = patches.reshape(b, height // p, width // p, c, p, p)
            return x.permute(0, 3, 1, 2, 4, 5).reshape(b, c, height, width)
            """,
        ),
        ("test_unpatchify_inverse",),
        "unpatchify keeps the grid axes together: the patches come back cut into strips",
    ),
    Mutant(
        "unpatchify_drops_channels",
        "patchify",
        (
            PATCHIFY,
            """
            b, p = patches.shape[0], patch_size
            x = patches.reshape(b, height // p, width // p, p, p)
            return x.permute(0, 1, 3, 2, 4).reshape(b, height, width)
            """,
        ),
        ("test_unpatchify_inverse",),
        "unpatchify for one channel only, returning (B, H, W)",
    ),
    # ---- PatchEmbedding ---------------------------------------------------------------------
    Mutant(
        "embedding_class_token_added",
        "PatchEmbedding",
        """
        tokens = self.proj(patchify(images, self.patch_size))
        return tokens + self.cls_token + self.pos_embedding[:, 1:]
        """,
        ("test_patch_embedding_shape", "test_patch_embedding_class_token"),
        "class token added to every patch token instead of prepended",
    ),
    Mutant(
        "embedding_class_token_appended",
        "PatchEmbedding",
        """
        tokens = self.proj(patchify(images, self.patch_size))
        cls = self.cls_token.expand(tokens.shape[0], -1, -1)
        return torch.cat([tokens, cls], dim=1) + self.pos_embedding
        """,
        ("test_patch_embedding_class_token", "test_patch_embedding_values"),
        "class token appended at the end instead of position 0",
    ),
    Mutant(
        "embedding_no_positions",
        "PatchEmbedding",
        """
        tokens = self.proj(patchify(images, self.patch_size))
        cls = self.cls_token.expand(tokens.shape[0], -1, -1)
        return torch.cat([cls, tokens], dim=1)
        """,
        ("test_patch_embedding_values", "test_patch_embedding_positions"),
        "position embeddings missing",
    ),
    Mutant(
        "embedding_one_shared_position",
        "PatchEmbedding",
        """
        tokens = self.proj(patchify(images, self.patch_size))
        cls = self.cls_token.expand(tokens.shape[0], -1, -1)
        return torch.cat([cls, tokens], dim=1) + self.pos_embedding[:, :1]
        """,
        ("test_patch_embedding_values", "test_patch_embedding_positions"),
        "one position vector shared by every position",
    ),
    Mutant(
        "embedding_positions_on_patches_only",
        "PatchEmbedding",
        """
        tokens = self.proj(patchify(images, self.patch_size)) + self.pos_embedding[:, 1:]
        cls = self.cls_token.expand(tokens.shape[0], -1, -1)
        return torch.cat([cls, tokens], dim=1)
        """,
        ("test_patch_embedding_class_token", "test_patch_embedding_positions"),
        "position embeddings added to the patches but not to the class token",
    ),
    Mutant(
        "embedding_class_token_not_expanded",
        "PatchEmbedding",
        """
        tokens = self.proj(patchify(images, self.patch_size))
        return torch.cat([self.cls_token, tokens], dim=1) + self.pos_embedding
        """,
        ("test_patch_embedding_shape",),
        "class token not expanded to the batch: fails for more than one image",
    ),
    Mutant(
        "embedding_images_transposed",
        "PatchEmbedding",
        """
        tokens = self.proj(patchify(images.transpose(-1, -2), self.patch_size))
        cls = self.cls_token.expand(tokens.shape[0], -1, -1)
        return torch.cat([cls, tokens], dim=1) + self.pos_embedding
        """,
        ("test_patch_embedding_values",),
        "image rows and columns transposed before patchify (height and width mixed up)",
    ),
    # ---- ViT ----------------------------------------------------------------------------------
    Mutant(
        "vit_mean_over_tokens",
        "ViT",
        """
        x = self.embed(images)
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x.mean(dim=1)))
        """,
        ("test_vit_class_token",),
        "classifies from the mean of all tokens, not from the class token",
    ),
    Mutant(
        "vit_last_token",
        "ViT",
        """
        x = self.embed(images)
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x[:, -1]))
        """,
        ("test_vit_class_token", "test_vit_positions"),
        "classifies from the last token",
    ),
    Mutant(
        "vit_mean_over_features",
        "ViT",
        """
        x = self.embed(images)
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x).mean(dim=-1))
        """,
        ("test_vit_shape", "test_vit_class_token"),
        "averages over the wrong axis (the features, not the tokens)",
    ),
    Mutant(
        "vit_mean_over_batch",
        "ViT",
        """
        x = self.embed(images)
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x.mean(dim=0)))
        """,
        ("test_vit_shape",),
        "averages over the batch axis: one row of logits per token, images mixed",
    ),
    Mutant(
        "vit_no_final_norm",
        "ViT",
        """
        x = self.embed(images)
        for layer in self.layers:
            x = layer(x)
        return self.head(x[:, 0])
        """,
        ("test_vit_class_token",),
        "forgets the final layer norm of the pre-norm stack",
    ),
    Mutant(
        "vit_first_layer_only",
        "ViT",
        """
        x = self.layers[0](self.embed(images))
        return self.head(self.norm(x[:, 0]))
        """,
        ("test_vit_class_token",),
        "runs one layer instead of all of them",
    ),
    Mutant(
        "vit_patches_without_embedding",
        "ViT",
        """
        x = self.embed.proj(patchify(images, self.embed.patch_size))
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x[:, 0]))
        """,
        ("test_vit_class_token", "test_vit_positions"),
        "projects the patches itself: no class token, no positions; reads the first patch",
    ),
    # ---- understanding ----------------------------------------------------------------------
    Mutant(
        "q1_no_class_token",
        "understanding",
        _quiz(answer_1=196),
        ("test_understanding_q1",),
        "forgets the class token: 196 patches",
    ),
    Mutant(
        "q1_patch_length",
        "understanding",
        _quiz(answer_1=768),
        ("test_understanding_q1",),
        "gives the length of a flattened patch, 16 * 16 * 3",
    ),
    Mutant(
        "q2_neighbours_matter",
        "understanding",
        _quiz(answer_2="a"),
        ("test_understanding_q2",),
        "thinks attention scores depend on which tokens are neighbours",
    ),
    Mutant(
        "q3_normalisation",
        "understanding",
        _quiz(answer_3="b"),
        ("test_understanding_q3",),
        "confuses an inductive bias with input normalisation",
    ),
    Mutant(
        "q4_attention_is_explanation",
        "understanding",
        _quiz(answer_4="b"),
        ("test_understanding_q4",),
        "reads attention weights as the cause of the prediction",
    ),
    Mutant(
        "q5_linear_in_tokens",
        "understanding",
        _quiz(answer_5="b"),
        ("test_understanding_q5",),
        "thinks the score matrix grows with the number of tokens, not its square",
    ),
    # ---- shuffle_prediction ---------------------------------------------------------------------
    Mutant(
        "sh_all_change",
        "shuffle_prediction",
        """
        prediction_changed_without_positions = 450
        prediction_with_positions_shuffled = "a"
        """,
        ("test_shuffle_prediction_without_positions",),
        "thinks a shuffled image is a new image to any ViT",
    ),
    Mutant(
        "sh_most_change",
        "shuffle_prediction",
        """
        prediction_changed_without_positions = 405
        prediction_with_positions_shuffled = "a"
        """,
        ("test_shuffle_prediction_without_positions",),
        "expects a position-less ViT to be confused by the shuffle as a reader would be",
    ),
    Mutant(
        "sh_wrong_ones_change",
        "shuffle_prediction",
        """
        prediction_changed_without_positions = 112
        prediction_with_positions_shuffled = "a"
        """,
        ("test_shuffle_prediction_without_positions",),
        "expects the 25% it gets wrong to change",
    ),
    Mutant(
        "sh_one",
        "shuffle_prediction",
        """
        prediction_changed_without_positions = 1
        prediction_with_positions_shuffled = "a"
        """,
        ("test_shuffle_prediction_without_positions",),
        "expects a change or two from rounding (the argmax did not move)",
    ),
    Mutant(
        "sh_with_positions_unaffected",
        "shuffle_prediction",
        """
        prediction_changed_without_positions = 0
        prediction_with_positions_shuffled = "b"
        """,
        ("test_shuffle_prediction_with_positions",),
        "thinks the model with positions also reads a bag of patches",
    ),
    Mutant(
        "sh_with_positions_somewhat",
        "shuffle_prediction",
        """
        prediction_changed_without_positions = 0
        prediction_with_positions_shuffled = "c"
        """,
        ("test_shuffle_prediction_with_positions",),
        "underestimates how much the model relies on where each patch is",
    ),
    Mutant(
        "sh_with_positions_exactly_chance",
        "shuffle_prediction",
        """
        prediction_changed_without_positions = 0
        prediction_with_positions_shuffled = "d"
        """,
        ("test_shuffle_prediction_with_positions",),
        "thinks nothing is left, not even which pieces are present",
    ),
]
