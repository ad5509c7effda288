"""Correct answers to notebook 08 in other styles; each must keep full marks.

Each equivalent carries only what replaces the solution region(s) of its cell (the format of
``autograder/mutants.py``); the ``patchify`` cell has two regions, ``patchify`` then
``unpatchify``.

Run with ``python -m autograder mutants --assignment 08_vision_transformer``.
"""

from autograder.mutants import Equivalent

EQUIVALENTS = [
    # ---- patchify / unpatchify --------------------------------------------------------------
    Equivalent(
        "patchify_unfold_fold",
        "patchify",
        (
            """
            import torch.nn.functional as F

            x = images if images.dim() == 4 else images[:, None]
            return F.unfold(x, kernel_size=patch_size, stride=patch_size).transpose(1, 2)
            """,
            """
            import torch.nn.functional as F

            return F.fold(
                patches.transpose(1, 2), (height, width), kernel_size=patch_size, stride=patch_size
            )
            """,
        ),
        "torch.nn.functional.unfold / fold (sliding blocks with stride P)",
    ),
    Equivalent(
        "patchify_tensor_unfold",
        "patchify",
        (
            """
            x = images.unsqueeze(1) if images.ndim == 3 else images
            B, C = x.shape[:2]
            p = patch_size
            blocks = x.unfold(2, p, p).unfold(3, p, p)  # (B, C, H/P, W/P, P, P)
            blocks = blocks.permute(0, 2, 3, 1, 4, 5).contiguous()
            return blocks.view(B, -1, C * p * p)
            """,
            """
            B, N, D = patches.shape
            p = patch_size
            C = D // (p * p)
            grid = patches.view(B, height // p, width // p, C, p, p)
            return grid.permute(0, 3, 1, 4, 2, 5).contiguous().view(B, C, height, width)
            """,
        ),
        "Tensor.unfold twice, then permute and view",
    ),
    Equivalent(
        "patchify_loops",
        "patchify",
        (
            """
            import torch

            x = images if images.dim() == 4 else images.unsqueeze(1)
            p = patch_size
            rows, cols = x.shape[2] // p, x.shape[3] // p
            out = []
            for i in range(rows):  # top to bottom
                for j in range(cols):  # left to right
                    block = x[:, :, i * p : (i + 1) * p, j * p : (j + 1) * p]  # (B, C, P, P)
                    out.append(block.reshape(x.shape[0], -1))
            return torch.stack(out, dim=1)
            """,
            """
            import torch

            p = patch_size
            c = patches.shape[-1] // (p * p)
            images = torch.zeros(
                patches.shape[0], c, height, width, dtype=patches.dtype, device=patches.device
            )
            cols = width // p
            for k in range(patches.shape[1]):
                i, j = divmod(k, cols)
                block = patches[:, k].reshape(-1, c, p, p)
                images[:, :, i * p : (i + 1) * p, j * p : (j + 1) * p] = block
            return images
            """,
        ),
        "plain loops over the grid of patches, no permute",
    ),
    Equivalent(
        "patchify_einops_style",
        "patchify",
        (
            """
            if images.ndim == 3:
                images = images[:, None]
            b, c, h, w = images.shape
            p = patch_size
            # rearrange 'b c (h p1) (w p2) -> b (h w) (c p1 p2)', written with torch
            x = images.view(b, c, h // p, p, w // p, p)
            x = x.transpose(1, 2).transpose(2, 4)  # (b, h/p, w/p, p1, c, p2)
            x = x.transpose(3, 4)
            return x.flatten(3).flatten(1, 2)
            """,
            """
            b, n, d = patches.shape
            p = patch_size
            c = d // (p * p)
            x = patches.unflatten(-1, (c, p, p)).unflatten(1, (height // p, width // p))
            return x.permute(0, 3, 1, 4, 2, 5).flatten(4, 5).flatten(2, 3)
            """,
        ),
        "transposes and flatten/unflatten, in the spirit of einops.rearrange",
    ),
    # ---- PatchEmbedding ---------------------------------------------------------------------
    Equivalent(
        "embedding_conv2d",
        "PatchEmbedding",
        """
        import torch
        import torch.nn.functional as F

        x = images if images.dim() == 4 else images.unsqueeze(1)
        p, d = self.patch_size, self.proj.out_features
        weight = self.proj.weight.view(d, x.shape[1], p, p)  # the Linear as P x P filters
        grid = F.conv2d(x, weight, self.proj.bias, stride=p)  # (B, d, H/P, W/P)
        tokens = grid.flatten(2).transpose(1, 2)  # (B, N, d), row-major
        cls = self.cls_token.expand(len(tokens), 1, d)
        return torch.cat((cls, tokens), dim=1) + self.pos_embedding
        """,
        "a strided Conv2d sharing the Linear's weights, as in most ViT code",
    ),
    Equivalent(
        "embedding_einsum_repeat",
        "PatchEmbedding",
        """
        import torch

        patches = patchify(images, self.patch_size)  # (B, N, C P P)
        tokens = torch.einsum("bnk,dk->bnd", patches, self.proj.weight) + self.proj.bias
        cls = self.cls_token.repeat(patches.shape[0], 1, 1)
        x = torch.cat([cls, tokens], dim=1)
        x += self.pos_embedding
        return x
        """,
        "einsum for the projection, repeat for the class token, in-place add",
    ),
    Equivalent(
        "embedding_preallocated",
        "PatchEmbedding",
        """
        import torch

        tokens = self.proj(patchify(images, self.patch_size))
        b, n, d = tokens.shape
        out = torch.empty(b, n + 1, d, dtype=tokens.dtype, device=tokens.device)
        out[:, 0] = self.cls_token[0, 0] + self.pos_embedding[0, 0]
        out[:, 1:] = tokens + self.pos_embedding[0, 1:]
        return out
        """,
        "writes the rows into a preallocated tensor",
    ),
    Equivalent(
        "embedding_unfold",
        "PatchEmbedding",
        """
        import torch
        import torch.nn.functional as F

        x = images[:, None] if images.dim() == 3 else images
        cols = F.unfold(x, self.patch_size, stride=self.patch_size)  # (B, C P P, N)
        tokens = F.linear(cols.transpose(1, 2), self.proj.weight, self.proj.bias)
        cls = self.cls_token.expand(tokens.size(0), -1, -1)
        return torch.cat([cls, tokens], 1) + self.pos_embedding
        """,
        "its own unfold-based patches and F.linear",
    ),
    # ---- ViT ----------------------------------------------------------------------------------
    Equivalent(
        "vit_sequential",
        "ViT",
        """
        import torch.nn as nn

        encoder = nn.Sequential(*self.layers)
        tokens = encoder(self.embed(images))
        cls = tokens[:, 0, :]
        return self.head(self.norm(cls))
        """,
        "the layers wrapped in nn.Sequential",
    ),
    Equivalent(
        "vit_norm_all_then_select",
        "ViT",
        """
        x = self.embed(images)
        for i in range(len(self.layers)):
            x = self.layers[i](x)
        x = self.norm(x)  # every token normalised, as timm does before pooling
        return self.head(x[:, 0])
        """,
        "normalise every token, then pool the class token (timm's order)",
    ),
    Equivalent(
        "vit_functools_reduce",
        "ViT",
        """
        from functools import reduce

        x = reduce(lambda h, layer: layer(h), self.layers, self.embed(images))
        return self.head(self.norm(x.select(1, 0)))
        """,
        "functools.reduce over the layers, select for the class token",
    ),
    # ---- understanding ----------------------------------------------------------------------
    Equivalent(
        "quiz_numpy_scalars",
        "understanding",
        """
        import numpy as np

        answer_1 = np.int64(197)
        answer_2 = "c"
        answer_3 = "d"
        answer_4 = "a"
        answer_5 = "c"
        """,
        "a numpy integer",
    ),
    Equivalent(
        "quiz_expression",
        "understanding",
        """
        answer_1 = (224 // 16) ** 2 + 1
        answer_2 = "c"
        answer_3 = "d"
        answer_4 = "a"
        answer_5 = "c"
        """,
        "the count as an expression",
    ),
    Equivalent(
        "quiz_float",
        "understanding",
        """
        answer_1 = 197.0
        answer_2 = 'c'
        answer_3 = 'd'
        answer_4 = 'a'
        answer_5 = 'c'
        """,
        "197 as a float, single quotes",
    ),
    # ---- shuffle_prediction -----------------------------------------------------------------
    Equivalent(
        "sh_float_upper",
        "shuffle_prediction",
        """
        prediction_changed_without_positions = 0.0
        prediction_with_positions_shuffled = "A"
        """,
        "a float, an upper-case letter",
    ),
    Equivalent(
        "sh_tensor_item",
        "shuffle_prediction",
        """
        prediction_changed_without_positions = torch.tensor(0).item()
        prediction_with_positions_shuffled = ' a '
        """,
        "a torch scalar's .item(); spaces around the letter",
    ),
    Equivalent(
        "sh_int_of_count",
        "shuffle_prediction",
        """
        prediction_changed_without_positions = int(torch.zeros(450).sum())
        prediction_with_positions_shuffled = 'a'
        """,
        "a count computed with torch",
    ),
    Equivalent(
        "sh_numpy",
        "shuffle_prediction",
        """
        import numpy as np

        prediction_changed_without_positions = np.int64(0)
        prediction_with_positions_shuffled = "a"
        """,
        "a numpy int64",
    ),
]
