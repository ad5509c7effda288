"""Small hand-authored data sets: a word embedding table and the "Let's go" -> "Vamos" example.

Everything here is written out in this file, so nothing is downloaded and every number can be
read. Each call returns fresh copies, so a notebook cannot corrupt the originals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "DIMENSION_NAMES",
    "DOT_VS_COSINE_EXAMPLES",
    "LetsGoExample",
    "lets_go_example",
    "word_embeddings",
]

# What each embedding dimension measures, in column order.
DIMENSION_NAMES: tuple[str, ...] = ("animal", "feline", "royal", "food", "young", "female")

# (word, vector over DIMENSION_NAMES). Most words have a norm near 1; "lion" and "feast" are
# loud (norm about 3): strong words that also carry a second theme.
# fmt: off
_EMBEDDING_TABLE: tuple[tuple[str, tuple[float, ...]], ...] = (
    #              animal feline royal food young female
    ("cat",      (0.8,   0.7,   0.0,  0.0, 0.1,  0.0)),  # animals: the house cat
    ("kitten",   (0.6,   0.7,   0.0,  0.0, 0.6,  0.0)),  # animals: a young cat
    ("dog",      (0.9,   0.0,   0.0,  0.0, 0.1,  0.0)),  # animals: the house dog, not feline
    ("puppy",    (0.8,   0.0,   0.0,  0.0, 0.8,  0.0)),  # animals: a young dog
    ("lion",     (2.0,   1.5,   1.9,  0.0, 0.0,  0.0)),  # animals + royalty, LOUD: king of beasts
    ("king",     (0.0,   0.0,   1.2,  0.0, 0.0,  0.0)),  # royalty: the ruler
    ("queen",    (0.0,   0.0,   1.1,  0.0, 0.0,  0.9)),  # royalty: a female ruler
    ("prince",   (0.0,   0.0,   0.9,  0.0, 0.6,  0.0)),  # royalty: the king's son
    ("princess", (0.0,   0.0,   0.8,  0.0, 0.6,  0.7)),  # royalty: the king's daughter
    ("apple",    (0.0,   0.0,   0.0,  0.8, 0.1,  0.0)),  # food: a small fruit
    ("bread",    (0.0,   0.0,   0.0,  0.9, 0.0,  0.0)),  # food: the staple
    ("cake",     (0.0,   0.0,   0.1,  0.9, 0.3,  0.0)),  # food: a treat for children's parties
    ("feast",    (0.0,   0.0,   1.5,  2.6, 0.0,  0.0)),  # food + royalty, LOUD: a banquet at court
)
# fmt: on


# Query words whose nearest other word by dot product (a loud word) is not their nearest by
# cosine similarity (a sensible neighbour). Which words those are is left for the notebook to
# compute: this package never holds an exercise's answer.
DOT_VS_COSINE_EXAMPLES: tuple[str, ...] = ("cat", "queen", "apple")


def word_embeddings() -> tuple[list[str], np.ndarray]:
    """Return a small hand-authored word embedding table.

    Thirteen words in three themes (animals, royalty, food), each a vector over six
    interpretable dimensions, ``DIMENSION_NAMES``: animal, feline (cat family; 0 for dogs),
    royal, food, young, female. Most vectors have a norm near 1, but two words are *loud*:
    ``lion`` (animal and royal, norm 3.1) and ``feast`` (food and royal, norm 3.0), about
    3.9 times the quietest word, ``apple``.

    Loud words win dot products: for each query word in ``DOT_VS_COSINE_EXAMPLES``
    (``"cat"``, ``"queen"``, ``"apple"``) the nearest other word by dot product is a loud one,
    while cosine similarity, which ignores the norms, finds a neighbour from the query's own
    theme.

    Returns:
        ``(vocab, E)``: ``vocab`` a list of n_words unique lowercase words, grouped by theme;
        ``E: (n_words, 6)`` float64, row ``i`` the embedding of ``vocab[i]``. Both are fresh
        copies on every call.
    """
    vocab = [word for word, _ in _EMBEDDING_TABLE]
    embeddings = np.array([vector for _, vector in _EMBEDDING_TABLE], dtype=np.float64)
    return vocab, embeddings


@dataclass(frozen=True, eq=False, kw_only=True)
class LetsGoExample:
    """One decoder step of the toy translation "let's go" -> "vamos <EOS>", with numbers.

    Attributes:
        source_tokens: the two source tokens, ``("let's", "go")``.
        encoder_outputs: (n_source, 2) = (2, 2), row ``i`` the encoder's output (an LSTM-like
            value in (-1, 1)) for ``source_tokens[i]``.
        decoder_output: (2,), the decoder's output at its first step, whose input is the
            ``<EOS>`` token.
        target_tokens: the target sentence, ``("vamos", "<EOS>")``.
    """

    source_tokens: tuple[str, ...] = ("let's", "go")
    encoder_outputs: np.ndarray
    decoder_output: np.ndarray
    target_tokens: tuple[str, ...] = ("vamos", "<EOS>")


def lets_go_example() -> LetsGoExample:
    """Return the worked numbers of the "let's go" -> "vamos" attention example.

    The decoder output is more similar to the encoder output of "go" than to that of "let's",
    by dot product and by cosine similarity, but not overwhelmingly: attention over the two
    source tokens gives both of them a clearly non-zero weight, with "go" the larger.

    Returns:
        a :class:`LetsGoExample`; ``encoder_outputs: (2, 2)`` and ``decoder_output: (2,)`` are
        fresh float64 arrays on every call.
    """
    return LetsGoExample(
        encoder_outputs=np.array(
            [
                [0.38, -0.27],  # "let's"
                [0.83, 0.55],  # "go"
            ],
            dtype=np.float64,
        ),
        decoder_output=np.array([0.64, 0.71], dtype=np.float64),  # first step, input <EOS>
    )
