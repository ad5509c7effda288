"""Correct answers to notebook 02 in other styles; each must keep full marks.

Each equivalent carries only what replaces the solution region(s) of its cell (the format of
``autograder/mutants.py``).

Run with ``python -m autograder mutants --assignment 02_similarity``.
"""

from autograder.mutants import Equivalent

EQUIVALENTS = [
    # ---- dot_scores -------------------------------------------------------------------------
    Equivalent(
        "dot_einsum",
        "dot_scores",
        """
        return np.einsum("nd,d->n", keys, query)
        """,
        "einsum",
    ),
    Equivalent(
        "dot_loop",
        "dot_scores",
        """
        scores = np.zeros(len(keys))
        for i, key in enumerate(keys):
            for j in range(len(query)):
                scores[i] += key[j] * query[j]
        return scores
        """,
        "loops over keys and features",
    ),
    Equivalent(
        "dot_broadcast_sum",
        "dot_scores",
        """
        return (keys * query[None, :]).sum(axis=1)
        """,
        "broadcast product, then sum over the features",
    ),
    # ---- cosine_similarity ------------------------------------------------------------------
    Equivalent(
        "cos_linalg_norm",
        "cosine_similarity",
        """
        denominator = np.linalg.norm(a) * np.linalg.norm(b)
        if denominator == 0:
            return 0.0
        return float(a @ b / denominator)
        """,
        "np.linalg.norm",
    ),
    Equivalent(
        "cos_pure_python",
        "cosine_similarity",
        """
        import math

        dot = sum(float(x) * float(y) for x, y in zip(a, b))
        norm_a = math.sqrt(sum(float(x) ** 2 for x in a))
        norm_b = math.sqrt(sum(float(y) ** 2 for y in b))
        return dot / (norm_a * norm_b) if norm_a and norm_b else 0.0
        """,
        "pure Python loops and math.sqrt",
    ),
    Equivalent(
        "cos_unit_vectors_clipped",
        "cosine_similarity",
        """
        norm_a, norm_b = np.linalg.norm(a), np.linalg.norm(b)
        if not (norm_a > 0 and norm_b > 0):
            return 0.0
        return float(np.clip(np.dot(a / norm_a, b / norm_b), -1.0, 1.0))
        """,
        "normalise first, clip to [-1, 1]",
    ),
    # ---- cosine_similarity_matrix -----------------------------------------------------------
    Equivalent(
        "mat_where_guard",
        "cosine_similarity_matrix",
        """
        norm_a = np.sqrt(np.einsum("md,md->m", A, A))  # (m,)
        norm_b = np.sqrt(np.einsum("nd,nd->n", B, B))  # (n,)
        denominator = np.outer(norm_a, norm_b)  # (m, n)
        dots = A @ B.T
        safe = np.where(denominator > 0, denominator, 1.0)
        return np.where(denominator > 0, dots / safe, 0.0)
        """,
        "einsum norms, np.where guard",
    ),
    Equivalent(
        "mat_loops",
        "cosine_similarity_matrix",
        """
        out = np.zeros((A.shape[0], B.shape[0]))
        for i in range(A.shape[0]):
            for j in range(B.shape[0]):
                out[i, j] = cosine_similarity(A[i], B[j])
        return out
        """,
        "loops calling cosine_similarity",
    ),
    Equivalent(
        "mat_epsilon_normalise",
        "cosine_similarity_matrix",
        """
        # scikit-learn's normalize(): divide by the norm, a zero row stays zero
        A_hat = A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-12)
        B_hat = B / np.maximum(np.linalg.norm(B, axis=1, keepdims=True), 1e-12)
        return A_hat @ B_hat.T
        """,
        "scikit-learn style: normalise with an epsilon floor",
    ),
    # ---- most_similar -----------------------------------------------------------------------
    Equivalent(
        "near_argsort_descending",
        "most_similar",
        """
        if word not in vocab:
            raise KeyError(word)
        i = vocab.index(word)
        scores = cosine_similarity_matrix(embeddings[i][None, :], embeddings)[0]
        order = [j for j in np.argsort(scores)[::-1] if j != i]
        return [vocab[j] for j in order[:k]]
        """,
        "argsort reversed",
    ),
    Equivalent(
        "near_torch_topk",
        "most_similar",
        """
        import torch

        if word not in vocab:
            raise KeyError(word)
        i = vocab.index(word)
        emb = torch.as_tensor(embeddings, dtype=torch.float64)
        scores = torch.nn.functional.cosine_similarity(emb[i : i + 1], emb, dim=1)
        scores[i] = float("-inf")
        return [vocab[j] for j in torch.topk(scores, k).indices.tolist()]
        """,
        "torch cosine_similarity and topk",
    ),
    Equivalent(
        "near_sorted_pairs",
        "most_similar",
        """
        if word not in vocab:
            raise KeyError(f"unknown word {word}")
        target = embeddings[vocab.index(word)]
        pairs = [(cosine_similarity(target, e), w) for w, e in zip(vocab, embeddings) if w != word]
        pairs.sort(key=lambda pair: pair[0], reverse=True)
        return [w for _, w in pairs[:k]]
        """,
        "sorted (score, word) pairs",
    ),
    # ---- understanding ----------------------------------------------------------------------
    Equivalent(
        "quiz_numpy_scalars",
        "understanding",
        """
        answer_1 = np.float64(1.0)
        answer_2 = "a"
        answer_3 = np.int64(32)
        answer_4 = "d"
        """,
        "numpy scalars",
    ),
    Equivalent(
        "quiz_expressions",
        "understanding",
        """
        answer_1 = float(np.cos(0.0))
        answer_2 = "a"
        answer_3 = 2**5
        answer_4 = "d"
        """,
        "expressions",
    ),
    Equivalent(
        "quiz_int_and_float",
        "understanding",
        """
        answer_1 = 1
        answer_2 = "a"
        answer_3 = 32.0
        answer_4 = "d"
        """,
        "1 as an int, 32 as a float",
    ),
    # ---- random_cosine_prediction -----------------------------------------------------------
    Equivalent(
        "rc_upper_case_rounded",
        "random_cosine_prediction",
        """
        prediction_cosine_trend = "B"
        prediction_cosine_std_300 = 0.06
        """,
        "upper-case letter, rounded to two decimals",
    ),
    Equivalent(
        "rc_numpy_scalar",
        "random_cosine_prediction",
        """
        prediction_cosine_trend = " b "
        prediction_cosine_std_300 = np.float32(0.0577)
        """,
        "spaces around the letter, a numpy float32",
    ),
    Equivalent(
        "rc_expression",
        "random_cosine_prediction",
        """
        prediction_cosine_trend = 'b'
        prediction_cosine_std_300 = 300**-0.5
        """,
        "a power expression",
    ),
    Equivalent(
        "rc_measured",
        "random_cosine_prediction",
        """
        prediction_cosine_trend = "b"
        _a = np.random.default_rng(1).standard_normal((2000, 300))
        _b = np.random.default_rng(2).standard_normal((2000, 300))
        _cos = np.sum(_a * _b, axis=1) / np.linalg.norm(_a, axis=1) / np.linalg.norm(_b, axis=1)
        prediction_cosine_std_300 = _cos.std()
        """,
        "estimated by a simulation (a numpy float64)",
    ),
]
