"""Common wrong answers to notebook 02; each must lose points on the test cell it names.

Each mutant carries only what replaces the solution region(s) of its cell, the lines
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (a tuple, one string per region, for a
cell with several); the harness splices it into the notebook's current cell, so the given
code is never copied here.

Run with ``python -m autograder mutants --assignment 02_similarity``.
"""

from autograder.mutants import Mutant

MUTANTS = [
    # ---- dot_scores ------------------------------------------------------------------------------
    Mutant(
        "dot_no_sum",
        "dot_scores",
        """
        return keys * query
        """,
        ("test_dot_scores_shape",),
        "multiplies elementwise and forgets to sum",
    ),
    Mutant(
        "dot_sum_wrong_axis",
        "dot_scores",
        """
        return (keys * query).sum(axis=0)
        """,
        ("test_dot_scores_shape",),
        "sums over the keys instead of over the features",
    ),
    Mutant(
        "dot_normalised",
        "dot_scores",
        """
        return keys @ query / (np.linalg.norm(keys, axis=1) * np.linalg.norm(query))
        """,
        ("test_dot_scores_values",),
        "returns cosine similarity instead of the dot product",
    ),
    Mutant(
        "dot_abs",
        "dot_scores",
        """
        return np.abs(keys @ query)
        """,
        ("test_dot_scores_values",),
        "takes absolute values, losing the sign",
    ),
    Mutant(
        "dot_sum_of_everything",
        "dot_scores",
        """
        return np.full(keys.shape[0], float(np.sum(keys @ query)))
        """,
        ("test_dot_scores_values",),
        "adds all scores together and repeats the total",
    ),
    Mutant(
        "dot_in_place",
        "dot_scores",
        """
        keys *= query
        return keys.sum(axis=1)
        """,
        ("test_dot_scores_values",),
        "multiplies keys in place, corrupting the caller's array",
    ),
    # ---- cosine_similarity -----------------------------------------------------------------------
    Mutant(
        "cos_missing_norms",
        "cosine_similarity",
        """
        return float(np.dot(a, b))
        """,
        ("test_cosine_similarity_values", "test_cosine_similarity_scale"),
        "forgets to divide by the norms",
    ),
    Mutant(
        "cos_one_norm",
        "cosine_similarity",
        """
        n = np.linalg.norm(a)
        return 0.0 if n == 0 else float(np.dot(a, b) / n)
        """,
        ("test_cosine_similarity_values",),
        "divides by the norm of one vector only",
    ),
    Mutant(
        "cos_squared_norms",
        "cosine_similarity",
        """
        n = np.sum(a * a) * np.sum(b * b)
        return 0.0 if n == 0 else float(np.dot(a, b) / n)
        """,
        ("test_cosine_similarity_values",),
        "divides by the squared norms (forgets the square root)",
    ),
    Mutant(
        "cos_l1_norm",
        "cosine_similarity",
        """
        n = np.sum(np.abs(a)) * np.sum(np.abs(b))
        return 0.0 if n == 0 else float(np.dot(a, b) / n)
        """,
        ("test_cosine_similarity_values",),
        "uses the L1 norm (sum of absolute values) instead of the Euclidean norm",
    ),
    Mutant(
        "cos_nan_for_zero",
        "cosine_similarity",
        """
        with np.errstate(all='ignore'):
            return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
        """,
        ("test_cosine_similarity_zero",),
        "no zero-vector guard: 0/0 gives nan",
    ),
    Mutant(
        "cos_one_for_zero",
        "cosine_similarity",
        """
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        if na == 0 or nb == 0:
            return 1.0
        return float(np.dot(a, b) / (na * nb))
        """,
        ("test_cosine_similarity_zero",),
        "returns 1.0 for a zero vector",
    ),
    Mutant(
        "cos_distance",
        "cosine_similarity",
        """
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        if na == 0 or nb == 0:
            return 0.0
        return float(1 - np.dot(a, b) / (na * nb))
        """,
        ("test_cosine_similarity_values",),
        "returns the cosine distance 1 - cos",
    ),
    Mutant(
        "cos_abs",
        "cosine_similarity",
        """
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        if na == 0 or nb == 0:
            return 0.0
        return float(abs(np.dot(a, b)) / (na * nb))
        """,
        ("test_cosine_similarity_scale",),
        "takes the absolute value: opposite vectors look similar",
    ),
    Mutant(
        "cos_returns_array",
        "cosine_similarity",
        """
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        if na == 0 or nb == 0:
            return np.zeros(1)
        return np.array([np.dot(a, b) / (na * nb)])
        """,
        ("test_cosine_similarity_values",),
        "returns a one-element array instead of a float",
    ),
    # ---- cosine_similarity_matrix ----------------------------------------------------------------
    Mutant(
        "mat_dot_only",
        "cosine_similarity_matrix",
        """
        return A @ B.T
        """,
        ("test_cosine_similarity_matrix_values",),
        "forgets the norms: a dot-product matrix",
    ),
    Mutant(
        "mat_wrong_axis",
        "cosine_similarity_matrix",
        """
        na = np.linalg.norm(A, axis=0, keepdims=True)
        nb = np.linalg.norm(B, axis=0, keepdims=True)
        with np.errstate(all='ignore'):
            return np.nan_to_num(A / na) @ np.nan_to_num(B / nb).T
        """,
        ("test_cosine_similarity_matrix_values",),
        "normalises columns (axis=0) instead of rows",
    ),
    Mutant(
        "mat_only_A_normalised",
        "cosine_similarity_matrix",
        """
        na = np.linalg.norm(A, axis=1, keepdims=True)
        return np.divide(A, na, out=np.zeros_like(A, dtype=float), where=na > 0) @ B.T
        """,
        ("test_cosine_similarity_matrix_values",),
        "normalises A but not B",
    ),
    Mutant(
        "mat_transposed",
        "cosine_similarity_matrix",
        """
        na = np.linalg.norm(A, axis=1, keepdims=True)
        nb = np.linalg.norm(B, axis=1, keepdims=True)
        Ah = np.divide(A, na, out=np.zeros_like(A, dtype=float), where=na > 0)
        Bh = np.divide(B, nb, out=np.zeros_like(B, dtype=float), where=nb > 0)
        return Bh @ Ah.T
        """,
        ("test_cosine_similarity_matrix_shape",),
        "returns the (n, m) transpose",
    ),
    Mutant(
        "mat_nan_rows",
        "cosine_similarity_matrix",
        """
        na = np.linalg.norm(A, axis=1, keepdims=True)
        nb = np.linalg.norm(B, axis=1, keepdims=True)
        with np.errstate(all='ignore'):
            return (A / na) @ (B / nb).T
        """,
        ("test_cosine_similarity_matrix_zero_rows",),
        "no guard for zero rows: nan",
    ),
    Mutant(
        "mat_global_norm",
        "cosine_similarity_matrix",
        """
        na, nb = np.linalg.norm(A), np.linalg.norm(B)
        if na == 0 or nb == 0:
            return np.zeros((A.shape[0], B.shape[0]))
        return (A / na) @ (B / nb).T
        """,
        ("test_cosine_similarity_matrix_values",),
        "divides by the norm of the whole matrix instead of each row",
    ),
    # ---- most_similar ----------------------------------------------------------------------------
    Mutant(
        "near_includes_self",
        "most_similar",
        """
        i = vocab.index(word)
        s = cosine_similarity_matrix(embeddings[i:i+1], embeddings)[0]
        return [vocab[j] for j in np.argsort(-s, kind='stable')[:k]]
        """,
        ("test_most_similar_excludes_word",),
        "forgets to exclude the word itself",
    ),
    Mutant(
        "near_by_dot_product",
        "most_similar",
        """
        i = vocab.index(word)
        s = (embeddings @ embeddings[i]).astype(float)
        s[i] = -np.inf
        return [vocab[j] for j in np.argsort(-s, kind='stable')[:k]]
        """,
        ("test_most_similar_ranking",),
        "ranks by the dot product instead of cosine similarity",
    ),
    Mutant(
        "near_ascending",
        "most_similar",
        """
        i = vocab.index(word)
        s = cosine_similarity_matrix(embeddings[i:i+1], embeddings)[0]
        s[i] = np.inf
        return [vocab[j] for j in np.argsort(s, kind='stable')[:k]]
        """,
        ("test_most_similar_ranking",),
        "sorts ascending: returns the least similar words",
    ),
    Mutant(
        "near_skip_first",
        "most_similar",
        """
        i = vocab.index(word)
        s = cosine_similarity_matrix(embeddings[i:i+1], embeddings)[0]
        order = [j for j in np.argsort(-s, kind='stable') if vocab[j] != word]
        return [vocab[j] for j in order[:k - 1]]
        """,
        ("test_most_similar_k",),
        "off by one: returns k - 1 words",
    ),
    Mutant(
        "near_indices",
        "most_similar",
        """
        i = vocab.index(word)
        s = cosine_similarity_matrix(embeddings[i:i+1], embeddings)[0]
        s[i] = -np.inf
        return [int(j) for j in np.argsort(-s, kind='stable')[:k]]
        """,
        ("test_most_similar_k",),
        "returns indices instead of words",
    ),
    Mutant(
        "near_drops_first_row",
        "most_similar",
        """
        i = vocab.index(word)
        s = cosine_similarity_matrix(embeddings[i:i+1], embeddings)[0]
        s[0] = -np.inf
        return [vocab[j] for j in np.argsort(-s, kind='stable')[:k]]
        """,
        ("test_most_similar_excludes_word",),
        "excludes index 0 instead of the word's own index",
    ),
    Mutant(
        "near_no_keyerror",
        "most_similar",
        """
        i = vocab.index(word) if word in vocab else 0
        s = cosine_similarity_matrix(embeddings[i:i+1], embeddings)[0]
        s[i] = -np.inf
        return [vocab[j] for j in np.argsort(-s, kind='stable')[:k]]
        """,
        ("test_most_similar_k",),
        "silently answers for an unknown word",
    ),
    # ---- understanding ---------------------------------------------------------------------------
    Mutant(
        "q1_wrong",
        "understanding",
        """
        answer_1 = 3.0
        answer_2 = "a"
        answer_3 = 32
        answer_4 = "d"
        """,
        ("test_understanding_q1",),
        "thinks scaling changes the cosine",
    ),
    Mutant(
        "q2_both",
        "understanding",
        """
        answer_1 = 1.0
        answer_2 = 'c'
        answer_3 = 32
        answer_4 = "d"
        """,
        ("test_understanding_q2",),
        "thinks cosine depends on length",
    ),
    Mutant(
        "q3_wrong",
        "understanding",
        """
        answer_1 = 1.0
        answer_2 = "a"
        answer_3 = 15
        answer_4 = "d"
        """,
        ("test_understanding_q3",),
        "adds the components instead of multiplying pairs",
    ),
    Mutant(
        "q4_range",
        "understanding",
        """
        answer_1 = 1.0
        answer_2 = "a"
        answer_3 = 32
        answer_4 = 'a'
        """,
        ("test_understanding_q4",),
        "confuses the dot product's range with cosine's",
    ),
    Mutant(
        "q2_not_a_letter",
        "understanding",
        """
        answer_1 = 1.0
        answer_2 = 'dot product'
        answer_3 = 32
        answer_4 = "d"
        """,
        ("test_understanding_q2",),
        "answers in words instead of a letter",
    ),
    # ---- random_cosine_prediction ---------------------------------------------------------------
    Mutant(
        "rc_trend_stays_spread",
        "random_cosine_prediction",
        """
        prediction_cosine_trend = "a"
        prediction_cosine_std_300 = 0.058
        """,
        ("test_random_cosine_prediction_trend",),
        "expects the cosine of random vectors to spread as in 2-d, whatever d",
    ),
    Mutant(
        "rc_trend_one_over_d",
        "random_cosine_prediction",
        """
        prediction_cosine_trend = "c"
        prediction_cosine_std_300 = 0.058
        """,
        ("test_random_cosine_prediction_trend",),
        "confuses the variance, 1/d, with the standard deviation",
    ),
    Mutant(
        "rc_trend_towards_one",
        "random_cosine_prediction",
        """
        prediction_cosine_trend = "d"
        prediction_cosine_std_300 = 0.058
        """,
        ("test_random_cosine_prediction_trend",),
        "thinks more components mean more in common",
    ),
    Mutant(
        "rc_std_is_variance",
        "random_cosine_prediction",
        """
        prediction_cosine_trend = "b"
        prediction_cosine_std_300 = 1 / 300
        """,
        ("test_random_cosine_prediction_std",),
        "gives the variance 1/d instead of the standard deviation",
    ),
    Mutant(
        "rc_std_of_dot_product",
        "random_cosine_prediction",
        """
        prediction_cosine_trend = "b"
        prediction_cosine_std_300 = 300**0.5
        """,
        ("test_random_cosine_prediction_std",),
        "forgets the division by the norms: the dot product's spread",
    ),
    Mutant(
        "rc_std_is_mean",
        "random_cosine_prediction",
        """
        prediction_cosine_trend = "b"
        prediction_cosine_std_300 = 0.0
        """,
        ("test_random_cosine_prediction_std",),
        "gives the mean (0) instead of the spread",
    ),
    Mutant(
        "rc_std_uniform",
        "random_cosine_prediction",
        """
        prediction_cosine_trend = "b"
        prediction_cosine_std_300 = 1 / 3**0.5
        """,
        ("test_random_cosine_prediction_std",),
        "uses the 3-d spread (uniform on [-1, 1]) at d = 300",
    ),
]
