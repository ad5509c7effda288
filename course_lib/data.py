"""The course's data: small hand-authored tables and a generated sequence-to-sequence task.

- ``word_embeddings``: a 13-word embedding table with interpretable dimensions (notebook 02);
- ``lets_go_example`` and ``phrase_pairs``: the "Let's go" -> "Vamos" worked example and a small
  English -> Spanish phrase set (notebooks 02 and 03);
- ``ReversalTask``: sequence reversal with a source length that can be swept, generated from a
  seed (notebooks 01, 03 and 06);
- ``self_attention_example``: two sentences with hand-set word features and query, key and
  value projections, where "that" attends to "girl" and "it" to "elephant" (notebook 04);
- ``digits``: scikit-learn's bundled 8x8 handwritten digits with a fixed train/test split
  (notebook 08).

Everything is written out, generated here or bundled with an installed package, so nothing is
downloaded and every number can be read. Each call returns fresh copies, so a notebook cannot
corrupt the originals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = [
    "DIMENSION_NAMES",
    "DOT_VS_COSINE_EXAMPLES",
    "PAD",
    "SOS",
    "LetsGoExample",
    "ReversalTask",
    "Seq2SeqBatch",
    "lets_go_example",
    "phrase_pairs",
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
        output_tokens: the decoder's output vocabulary, ``("ir", "vamos", "y", "<EOS>")``.
        output_weights: (n_output_tokens, 4) = (4, 4), a fully connected layer that scores
            every output token from the concatenation ``[decoder_output, attention_context]``
            (2 + 2 numbers), as in ``scores = output_weights @ combined + output_bias``.
        output_bias: (4,), that layer's bias.
    """

    source_tokens: tuple[str, ...] = ("let's", "go")
    encoder_outputs: np.ndarray
    decoder_output: np.ndarray
    target_tokens: tuple[str, ...] = ("vamos", "<EOS>")
    output_tokens: tuple[str, ...] = ("ir", "vamos", "y", "<EOS>")
    output_weights: np.ndarray = field(
        default_factory=lambda: np.array(
            [
                # decoder output | attention context
                [-0.6, 0.3, -0.7, 0.5],  # "ir": "to go", the wrong sense of "go" here
                [0.8, 0.4, 1.2, 0.2],  # "vamos"
                [-0.2, -0.8, 0.1, 0.6],  # "y"
                [0.2, 0.5, -1.0, -0.3],  # "<EOS>"
            ],
            dtype=np.float64,
        )
    )
    output_bias: np.ndarray = field(
        default_factory=lambda: np.array([0.1, -0.2, 0.0, 0.1], dtype=np.float64)
    )


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


# A small English -> Spanish phrase set in the spirit of "Let's go" -> "Vamos": short phrases,
# lowercase, tokens separated by spaces. Some keep the word order ("el perro come"), some do not
# (adjectives follow the noun: "the black cat" -> "el gato negro"), and some change the length
# ("let's go" -> "vamos"), which is what a translation model has to cope with.
_PHRASE_PAIRS: tuple[tuple[str, str], ...] = (
    ("let's go", "vamos"),
    ("let's eat", "comamos"),
    ("let's run", "corramos"),
    ("to go", "ir"),
    ("to eat", "comer"),
    ("to run", "correr"),
    ("the cat", "el gato"),
    ("the dog", "el perro"),
    ("the black cat", "el gato negro"),
    ("the white dog", "el perro blanco"),
    ("the cat eats", "el gato come"),
    ("the dog runs", "el perro corre"),
    ("the black cat runs", "el gato negro corre"),
    ("i eat bread", "yo como pan"),
    ("we eat bread", "nosotros comemos pan"),
    ("we go home", "vamos a casa"),
)


def phrase_pairs() -> list[tuple[str, str]]:
    """Return a small hand-authored English -> Spanish phrase set.

    Returns:
        a fresh list of ``(english, spanish)`` pairs of lowercase, space-separated phrases, from
        one to four words. ``("let's go", "vamos")`` comes first.
    """
    return list(_PHRASE_PAIRS)


# ---- a generated sequence-to-sequence task --------------------------------------------------

# Special token ids shared by every model trained on ``ReversalTask``.
PAD = 0  # padding after the end of a shorter sequence
SOS = 1  # start of sequence: the decoder's first input


@dataclass(frozen=True)
class Seq2SeqBatch:
    """A padded batch of (source, target) pairs, ready for teacher forcing.

    Attributes:
        src: (B, S) int64 source tokens, ``PAD`` after each sequence's end.
        src_lens: (B,) int64 true source lengths (the number of non-``PAD`` tokens).
        dec_in: (B, T) int64 decoder inputs: ``SOS`` followed by the target shifted right by
            one (teacher forcing), ``PAD`` after the end.
        tgt: (B, T) int64 targets, ``PAD`` after the end.
    """

    src: torch.Tensor
    src_lens: torch.Tensor
    dec_in: torch.Tensor
    tgt: torch.Tensor

    def to(self, device: torch.device | str) -> Seq2SeqBatch:
        """The same batch on ``device`` (``src_lens`` stays on the CPU, as packing wants)."""
        return Seq2SeqBatch(
            self.src.to(device), self.src_lens, self.dec_in.to(device), self.tgt.to(device)
        )


@dataclass(frozen=True)
class ReversalTask:
    """Sequence reversal: read a sequence of symbols, write it backwards.

    A source is ``length`` symbols drawn uniformly from ``n_symbols`` symbols (token ids
    ``2 .. n_symbols + 1``; 0 is ``PAD`` and 1 is ``SOS``); its target is the same symbols in
    reverse order. The first target symbol is the *last* source symbol, so a model cannot start
    writing before it has read everything, and every target position depends on one precise
    source position: the alignment is the anti-diagonal.

    Attributes:
        n_symbols: how many distinct symbols (default 10).
        min_len, max_len: training batches mix source lengths uniformly in this range.
    """

    n_symbols: int = 10
    min_len: int = 4
    max_len: int = 24

    def __post_init__(self) -> None:
        if self.n_symbols < 2:
            raise ValueError(f"n_symbols must be at least 2, got {self.n_symbols}")
        if not 1 <= self.min_len <= self.max_len:
            raise ValueError(
                f"need 1 <= min_len <= max_len, got min_len={self.min_len}, max_len={self.max_len}"
            )

    @property
    def vocab_size(self) -> int:
        """Number of token ids, special tokens included: ``n_symbols + 2``."""
        return self.n_symbols + 2

    def batch(
        self, batch_size: int, rng: np.random.Generator, length: int | None = None
    ) -> Seq2SeqBatch:
        """Draw a batch of ``batch_size`` pairs from ``rng``.

        Args:
            batch_size: number of pairs B.
            rng: the generator to draw from (``np.random.default_rng(seed)``), so batches are
                reproducible.
            length: every source has exactly this length; by default lengths are drawn
                uniformly from ``min_len .. max_len``.

        Returns:
            a :class:`Seq2SeqBatch` padded to the longest source in the batch (S = T).
        """
        import torch

        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if length is not None and length < 1:
            raise ValueError(f"length must be at least 1, got {length}")
        if length is None:
            lens = rng.integers(self.min_len, self.max_len + 1, size=batch_size)
        else:
            lens = np.full(batch_size, length)
        width = int(lens.max())
        src = np.full((batch_size, width), PAD, dtype=np.int64)
        tgt = np.full((batch_size, width), PAD, dtype=np.int64)
        dec_in = np.full((batch_size, width), PAD, dtype=np.int64)
        for i, n in enumerate(lens):
            symbols = rng.integers(2, 2 + self.n_symbols, size=n)
            src[i, :n] = symbols
            tgt[i, :n] = symbols[::-1]
            dec_in[i, 0] = SOS
            dec_in[i, 1:n] = tgt[i, : n - 1]
        return Seq2SeqBatch(
            torch.from_numpy(src),
            torch.from_numpy(lens.astype(np.int64)),
            torch.from_numpy(dec_in),
            torch.from_numpy(tgt),
        )

    def decode(self, tokens: object) -> str:
        """Render a row of token ids as text: symbols as letters ``a, b, ...``, ``PAD`` as
        ``_``, ``SOS`` as ``^``. Accepts a list, numpy array or 1-D tensor."""
        ids = np.asarray(tokens.tolist() if hasattr(tokens, "tolist") else tokens).ravel()
        alphabet = "abcdefghijklmnopqrstuvwxyz"
        out = []
        for t in ids:
            t = int(t)
            if t == PAD:
                out.append("_")
            elif t == SOS:
                out.append("^")
            elif 2 <= t < 2 + min(self.n_symbols, len(alphabet)):
                out.append(alphabet[t - 2])
            else:
                out.append("?")
        return "".join(out)


# ----------------------------------------------------------------------------------------------
# Notebook 04 (self-attention): two sentences with hand-set embeddings and projections.
#
# One tiny "layer" serves both sentences: every word has an interpretable embedding over
# SENTENCE_FEATURES, and the query, key and value projections are written out below, so the
# notebook can load them into a self-attention module and show, with the student's own code,
# that "that" looks at "girl" and "it" looks at "elephant". There is no word order in these
# embeddings (positions come in notebook 06), so the two "the"s of the elephant sentence are
# the same vector.

SENTENCE_FEATURES: tuple[str, ...] = (
    "noun",
    "animate",
    "determiner",
    "pronoun",
    "predicate",
    "function",
)
QUERY_KEY_FEATURES: tuple[str, ...] = ("noun", "animate")
VALUE_FEATURES: tuple[str, ...] = ("noun", "animate", "predicate")

# fmt: off
_WORD_FEATURES: dict[str, tuple[float, ...]] = {
    #             noun animate determiner pronoun predicate function
    "see":      (0.0,  0.0,    0.0,       0.0,    1.0,      0.0),  # a verb: wants an agent
    "that":     (0.0,  0.0,    1.0,       0.0,    0.0,      0.0),  # points at a noun
    "girl":     (1.0,  1.0,    0.0,       0.0,    0.0,      0.0),  # an animate noun
    "run":      (0.0,  0.0,    0.0,       0.0,    1.0,      0.0),  # a verb: wants an agent
    "the":      (0.0,  0.0,    1.0,       0.0,    0.0,      0.0),  # points at a noun
    "elephant": (1.0,  1.0,    0.0,       0.0,    0.0,      0.0),  # an animate noun
    "didn't":   (0.0,  0.0,    0.0,       0.0,    0.0,      1.0),  # grammar
    "cross":    (0.0,  0.0,    0.0,       0.0,    1.0,      0.0),  # a verb: wants an agent
    "street":   (1.0,  0.0,    0.0,       0.0,    0.0,      0.0),  # an inanimate noun
    "because":  (0.0,  0.0,    0.0,       0.0,    0.0,      1.0),  # grammar
    "it":       (0.0,  0.0,    0.0,       1.0,    0.0,      0.0),  # stands for some noun
    "was":      (0.0,  0.0,    0.0,       0.0,    0.0,      1.0),  # grammar
    "too":      (0.0,  0.0,    0.0,       0.0,    0.0,      1.0),  # grammar
    "tired":    (0.0,  0.0,    0.0,       0.0,    1.0,      0.0),  # said of a living thing
}

# Paper convention (Vaswani et al. 2017): Q = X @ W_Q with W_Q of shape (d_model, d_k).
# Rows are SENTENCE_FEATURES; query/key columns are QUERY_KEY_FEATURES.
_W_Q = (  # what each kind of word looks for: (wants a noun, wants an animate thing)
    (0.0, 0.0),  # noun: asks nothing
    (0.0, 0.0),  # animate: asks nothing
    (3.0, 0.0),  # determiner: wants the noun it introduces
    (2.0, 3.0),  # pronoun: wants a noun, preferably a living one
    (0.0, 3.0),  # predicate: wants a living agent
    (0.0, 0.0),  # function: asks nothing
)
_W_K = (  # what each word offers: (is a noun, is animate)
    (1.0, 0.0),
    (0.0, 1.0),
    (0.0, 0.0),
    (0.0, 0.0),
    (0.0, 0.0),
    (0.0, 0.0),
)
_W_V = (  # what each word passes on when attended to: (noun, animate, predicate)
    (1.0, 0.0, 0.0),
    (0.0, 1.0, 0.0),
    (0.0, 0.0, 0.0),
    (0.0, 0.0, 0.0),
    (0.0, 0.0, 1.0),
    (0.0, 0.0, 0.0),
)
# fmt: on

SELF_ATTENTION_SENTENCES: tuple[str, ...] = (
    "see that girl run",
    "the elephant didn't cross the street because it was too tired",
)


@dataclass(frozen=True, eq=False, kw_only=True)
class SelfAttentionExample:
    """A sentence with hand-set embeddings and query, key and value projections.

    Attributes:
        tokens: the L words of the sentence, lowercase, in order.
        embeddings: (L, d_model) = (L, 6), row ``i`` the embedding of ``tokens[i]`` over
            ``SENTENCE_FEATURES``.
        w_q: (d_model, d_k) = (6, 2), queries are ``embeddings @ w_q`` (paper convention;
            ``torch.nn.Linear`` stores the transpose, ``weight = w_q.T``).
        w_k: (d_model, d_k) = (6, 2), keys are ``embeddings @ w_k``.
        w_v: (d_model, d_v) = (6, 3), values are ``embeddings @ w_v``.
    """

    tokens: tuple[str, ...]
    embeddings: np.ndarray
    w_q: np.ndarray
    w_k: np.ndarray
    w_v: np.ndarray


def self_attention_example(sentence: str) -> SelfAttentionExample:
    """Return one of ``SELF_ATTENTION_SENTENCES`` with its hand-set embeddings and projections.

    The projections are shared by both sentences. Keys say whether a word is a noun and
    whether it is animate; queries say what a word looks for: a determiner ("that", "the")
    looks for a noun, the pronoun "it" for a noun that is preferably animate, a predicate
    ("see", "run", "cross", "tired") for an animate agent. Nouns and grammar words ask
    nothing (zero query), so they spread their attention evenly. Values pass on whether a word
    is a noun, animate, or a predicate.

    With attention weights ``softmax(Q K^T / sqrt(2))``, "that" puts most of its weight on
    "girl", and "it" puts most of its weight on "elephant" rather than "street".

    Args:
        sentence: one of ``SELF_ATTENTION_SENTENCES``, e.g. ``"see that girl run"``.

    Returns:
        a :class:`SelfAttentionExample` with fresh float64 arrays.

    Raises:
        KeyError: ``sentence`` is not one of ``SELF_ATTENTION_SENTENCES``.
    """
    if sentence not in SELF_ATTENTION_SENTENCES:
        options = ", ".join(repr(s) for s in SELF_ATTENTION_SENTENCES)
        raise KeyError(f"unknown sentence {sentence!r}: use one of {options}")
    tokens = tuple(sentence.split())
    return SelfAttentionExample(
        tokens=tokens,
        embeddings=np.array([_WORD_FEATURES[t] for t in tokens], dtype=np.float64),
        w_q=np.array(_W_Q, dtype=np.float64),
        w_k=np.array(_W_K, dtype=np.float64),
        w_v=np.array(_W_V, dtype=np.float64),
    )


__all__ += [
    "QUERY_KEY_FEATURES",
    "SELF_ATTENTION_SENTENCES",
    "SENTENCE_FEATURES",
    "VALUE_FEATURES",
    "SelfAttentionExample",
    "self_attention_example",
]


# ----------------------------------------------------------------------------------------------
# Notebook 08 (vision transformer): handwritten digits that ship inside scikit-learn.

DIGITS_TEST_SIZE = 450  # of the 1,797 images; the other 1,347 are the training set


@dataclass(frozen=True, eq=False, kw_only=True)
class DigitsSplit:
    """The 8x8 handwritten digits, split once into a training and a test set.

    Attributes:
        train_images: (n_train, 8, 8) float32 grey levels in [0, 1] (0 = background).
        train_labels: (n_train,) int64 digits 0..9.
        test_images: (n_test, 8, 8) float32 in [0, 1].
        test_labels: (n_test,) int64.
    """

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor


def digits(test_size: int = DIGITS_TEST_SIZE, seed: int = 0) -> DigitsSplit:
    """Load scikit-learn's handwritten digits and split them with a fixed seed.

    The images are ``sklearn.datasets.load_digits``: 1,797 handwritten digits (a copy of the
    test part of the UCI "Optical Recognition of Handwritten Digits" set), each reduced to 8x8
    pixels with 17 grey levels (0..16). They ship with scikit-learn, so nothing is downloaded.
    Here the grey levels are divided by 16.

    Args:
        test_size: how many images go to the test set (default 450; the rest are for
            training).
        seed: the seed of the shuffle that decides the split; the same seed gives the same
            split on every machine.

    Returns:
        a :class:`DigitsSplit` of fresh float32 / int64 tensors.

    Raises:
        ValueError: ``test_size`` leaves no image for training or for testing.
    """
    import torch
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.float32) / 16.0  # (1797, 8, 8)
    labels = np.asarray(bunch.target, dtype=np.int64)  # (1797,)
    if not 0 < test_size < len(images):
        raise ValueError(f"test_size must be between 1 and {len(images) - 1}, got {test_size}")
    order = np.random.default_rng(seed).permutation(len(images))
    test, train = order[:test_size], order[test_size:]
    return DigitsSplit(
        train_images=torch.from_numpy(images[train].copy()),
        train_labels=torch.from_numpy(labels[train].copy()),
        test_images=torch.from_numpy(images[test].copy()),
        test_labels=torch.from_numpy(labels[test].copy()),
    )


__all__ += ["DIGITS_TEST_SIZE", "DigitsSplit", "digits"]
