"""Tests for course_lib.data: the embedding table and the "let's go" example keep the
properties that notebooks 02 and 03 are built on. Similarities are computed here, independently
of the package (which holds no such function)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from course_lib import data

# The neighbour by cosine similarity that notebook 02's story needs for each example word.
EXPECTED_COSINE_NEIGHBOUR = {"cat": "kitten", "queen": "princess", "apple": "bread"}
THEMES = {
    "animals": {"cat", "kitten", "dog", "puppy", "lion"},
    "royalty": {"king", "queen", "prince", "princess", "lion", "feast"},
    "food": {"apple", "bread", "cake", "feast"},
}


def nearest_other(vocab: list[str], scores: np.ndarray, word: str) -> str:
    """The word with the highest score against ``word``, excluding ``word`` itself."""
    scores = scores.astype(np.float64).copy()
    scores[vocab.index(word)] = -np.inf
    return vocab[int(np.argmax(scores))]


def dot_and_cosine_neighbours(word: str) -> tuple[str, str]:
    vocab, emb = data.word_embeddings()
    query = emb[vocab.index(word)]
    dots = emb @ query
    cosines = dots / (np.linalg.norm(emb, axis=1) * np.linalg.norm(query))
    return nearest_other(vocab, dots, word), nearest_other(vocab, cosines, word)


def test_word_embeddings_shape_and_dtype() -> None:
    vocab, emb = data.word_embeddings()
    assert isinstance(vocab, list)
    assert 12 <= len(vocab) <= 16
    assert isinstance(emb, np.ndarray)
    assert emb.dtype == np.float64
    assert emb.shape == (len(vocab), len(data.DIMENSION_NAMES))
    assert 4 <= emb.shape[1] <= 6


def test_word_embeddings_words_are_unique_lowercase_strings() -> None:
    vocab, _ = data.word_embeddings()
    assert len(set(vocab)) == len(vocab)
    assert all(isinstance(word, str) and word == word.lower() and word.isalpha() for word in vocab)


def test_word_embeddings_have_no_zero_vector() -> None:
    _, emb = data.word_embeddings()
    assert np.all(np.linalg.norm(emb, axis=1) > 0.5)


def test_word_embeddings_norms_differ_by_a_factor_of_at_least_three() -> None:
    _, emb = data.word_embeddings()
    norms = np.linalg.norm(emb, axis=1)
    assert norms.max() / norms.min() >= 3


def test_word_embeddings_every_word_belongs_to_a_theme() -> None:
    vocab, _ = data.word_embeddings()
    assert set(vocab) == set().union(*THEMES.values())


def test_word_embeddings_are_fresh_copies() -> None:
    vocab, emb = data.word_embeddings()
    vocab.append("zebra")
    emb[:] = 0.0
    vocab_again, emb_again = data.word_embeddings()
    assert "zebra" not in vocab_again
    assert np.all(np.linalg.norm(emb_again, axis=1) > 0)


def test_dot_vs_cosine_examples_are_in_the_vocabulary() -> None:
    vocab, _ = data.word_embeddings()
    assert len(data.DOT_VS_COSINE_EXAMPLES) >= 2
    assert set(data.DOT_VS_COSINE_EXAMPLES) <= set(vocab)


@pytest.mark.parametrize("word", data.DOT_VS_COSINE_EXAMPLES)
def test_dot_product_and_cosine_pick_different_neighbours(word: str) -> None:
    by_dot, by_cosine = dot_and_cosine_neighbours(word)
    assert by_dot != by_cosine


@pytest.mark.parametrize("word", data.DOT_VS_COSINE_EXAMPLES)
def test_dot_product_neighbour_is_a_loud_word(word: str) -> None:
    vocab, emb = data.word_embeddings()
    by_dot, _ = dot_and_cosine_neighbours(word)
    norms = np.linalg.norm(emb, axis=1)
    assert norms[vocab.index(by_dot)] >= 2 * norms[vocab.index(word)]


@pytest.mark.parametrize("word", data.DOT_VS_COSINE_EXAMPLES)
def test_cosine_neighbour_is_the_sensible_one_from_the_same_theme(word: str) -> None:
    _, by_cosine = dot_and_cosine_neighbours(word)
    assert by_cosine == EXPECTED_COSINE_NEIGHBOUR[word]
    assert any({word, by_cosine} <= members for members in THEMES.values())


def test_dot_vs_cosine_examples_have_a_clear_cosine_margin() -> None:
    # The cosine neighbour must beat the loud word by cosine clearly, not by rounding.
    vocab, emb = data.word_embeddings()
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    for word in data.DOT_VS_COSINE_EXAMPLES:
        by_dot, by_cosine = dot_and_cosine_neighbours(word)
        query = unit[vocab.index(word)]
        margin = unit[vocab.index(by_cosine)] @ query - unit[vocab.index(by_dot)] @ query
        assert margin > 0.05, word


def test_lets_go_example_fields_shapes_and_dtypes() -> None:
    example = data.lets_go_example()
    assert example.source_tokens == ("let's", "go")
    assert example.target_tokens == ("vamos", "<EOS>")
    assert example.encoder_outputs.shape == (2, 2)
    assert example.decoder_output.shape == (2,)
    assert example.encoder_outputs.dtype == np.float64
    assert example.decoder_output.dtype == np.float64


def test_lets_go_example_values_look_like_lstm_outputs_with_two_decimals() -> None:
    example = data.lets_go_example()
    for values in (example.encoder_outputs, example.decoder_output):
        assert np.all(np.abs(values) < 1)
        np.testing.assert_allclose(values, np.round(values, 2), atol=1e-12)


def test_lets_go_example_is_frozen_and_returns_fresh_arrays() -> None:
    example = data.lets_go_example()
    with pytest.raises(dataclasses.FrozenInstanceError):
        example.decoder_output = np.zeros(2)  # type: ignore[misc]
    example.encoder_outputs[:] = 0.0
    example.decoder_output[:] = 0.0
    again = data.lets_go_example()
    assert np.all(again.encoder_outputs != 0)
    assert np.all(again.decoder_output != 0)


def test_lets_go_decoder_output_is_closer_to_go_by_dot_and_cosine() -> None:
    example = data.lets_go_example()
    enc, dec = example.encoder_outputs, example.decoder_output
    dots = enc @ dec
    cosines = dots / (np.linalg.norm(enc, axis=1) * np.linalg.norm(dec))
    go = example.source_tokens.index("go")
    lets = example.source_tokens.index("let's")
    assert dots[go] > dots[lets]
    assert cosines[go] > cosines[lets] + 0.5


def test_lets_go_attention_weights_are_clear_but_not_overwhelming() -> None:
    example = data.lets_go_example()
    dots = example.encoder_outputs @ example.decoder_output
    weights = np.exp(dots - dots.max())
    weights /= weights.sum()
    go = example.source_tokens.index("go")
    assert 0.6 <= weights[go] <= 0.85


# ---- the "let's go" output layer and the phrase set ------------------------------------------


def test_lets_go_output_layer_predicts_vamos_after_attention():
    """Dot scores -> softmax -> weighted sum -> [decoder, context] -> layer: "vamos" wins."""
    ex = data.lets_go_example()
    scores = np.array([float(np.dot(row, ex.decoder_output)) for row in ex.encoder_outputs])
    weights = np.exp(scores) / np.exp(scores).sum()
    context = weights[0] * ex.encoder_outputs[0] + weights[1] * ex.encoder_outputs[1]
    logits = ex.output_weights @ np.concatenate([ex.decoder_output, context]) + ex.output_bias
    assert ex.output_tokens[int(np.argmax(logits))] == "vamos"
    assert ex.output_weights.shape == (len(ex.output_tokens), 4)
    assert ex.output_bias.shape == (len(ex.output_tokens),)
    assert 0.6 < weights[1] < 0.8  # "go" gets most, "let's" clearly some


def test_lets_go_output_layer_is_a_fresh_copy_each_call():
    first = data.lets_go_example()
    first.output_weights[:] = 0
    assert data.lets_go_example().output_weights.any()


def test_phrase_pairs_start_with_lets_go_and_are_lowercase_words():
    pairs = data.phrase_pairs()
    assert pairs[0] == ("let's go", "vamos")
    assert len(pairs) >= 10
    for english, spanish in pairs:
        for phrase in (english, spanish):
            assert phrase == phrase.lower().strip()
            assert 1 <= len(phrase.split()) <= 4
    assert len({e for e, _ in pairs}) == len(pairs), "each English phrase once"
    pairs.append(("x", "y"))
    assert ("x", "y") not in data.phrase_pairs()


# ---- ReversalTask -----------------------------------------------------------------------------


def test_reversal_batch_targets_are_the_sources_reversed_and_padded():
    task = data.ReversalTask(n_symbols=5, min_len=3, max_len=9)
    batch = task.batch(32, np.random.default_rng(1))
    lens = batch.src_lens.numpy()
    assert batch.src.shape == batch.tgt.shape == batch.dec_in.shape == (32, lens.max())
    assert lens.min() >= 3 and lens.max() <= 9
    for i, n in enumerate(lens):
        src, tgt = batch.src[i].numpy(), batch.tgt[i].numpy()
        assert (src[:n] >= 2).all() and (src[:n] < 2 + 5).all()
        assert (src[n:] == data.PAD).all() and (tgt[n:] == data.PAD).all()
        np.testing.assert_array_equal(tgt[:n], src[:n][::-1])


def test_reversal_decoder_input_is_sos_then_target_shifted_right():
    task = data.ReversalTask()
    batch = task.batch(16, np.random.default_rng(2))
    for i, n in enumerate(batch.src_lens.tolist()):
        dec, tgt = batch.dec_in[i].tolist(), batch.tgt[i].tolist()
        assert dec[0] == data.SOS
        assert dec[1:n] == tgt[: n - 1]
        assert all(t == data.PAD for t in dec[n:])


def test_reversal_batches_are_reproducible_and_fixed_length_works():
    task = data.ReversalTask()
    a = task.batch(8, np.random.default_rng(5))
    b = task.batch(8, np.random.default_rng(5))
    assert all(
        (x == y).all() for x, y in zip(a.__dict__.values(), b.__dict__.values(), strict=True)
    )
    fixed = task.batch(4, np.random.default_rng(0), length=30)
    assert fixed.src.shape == (4, 30) and (fixed.src_lens == 30).all()
    assert fixed.src.dtype == fixed.tgt.dtype == fixed.src_lens.dtype


def test_reversal_task_mixes_lengths_over_its_whole_range():
    task = data.ReversalTask(min_len=4, max_len=24)
    lens = task.batch(2000, np.random.default_rng(0)).src_lens
    assert int(lens.min()) == 4 and int(lens.max()) == 24
    assert task.vocab_size == 12


@pytest.mark.parametrize("kwargs", [dict(n_symbols=1), dict(min_len=0), dict(min_len=5, max_len=4)])
def test_reversal_task_rejects_bad_settings(kwargs):
    with pytest.raises(ValueError):
        data.ReversalTask(**kwargs)


def test_reversal_batch_rejects_bad_sizes():
    task = data.ReversalTask()
    with pytest.raises(ValueError, match="batch_size"):
        task.batch(0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="length"):
        task.batch(2, np.random.default_rng(0), length=0)


def test_reversal_decode_renders_symbols_pad_and_sos():
    task = data.ReversalTask()
    assert task.decode([data.SOS, 2, 3, 11, data.PAD]) == "^abj_"
    assert task.decode(np.array([4, 99])) == "c?"


# ---- notebook 04: the self-attention sentences ---------------------------------------------
# Attention is computed here with numpy, independently of the package and of the notebook.


def _hand_set_attention(sentence: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """(tokens, weights (L, L), outputs (L, d_v)) of the hand-set layer, scaled by sqrt(d_k)."""
    ex = data.self_attention_example(sentence)
    q, k, v = ex.embeddings @ ex.w_q, ex.embeddings @ ex.w_k, ex.embeddings @ ex.w_v
    scores = q @ k.T / np.sqrt(k.shape[1])
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return ex.tokens, weights, weights @ v


def test_self_attention_examples_have_consistent_shapes_and_fresh_arrays() -> None:
    for sentence in data.SELF_ATTENTION_SENTENCES:
        ex = data.self_attention_example(sentence)
        assert " ".join(ex.tokens) == sentence
        d_model = len(data.SENTENCE_FEATURES)
        assert ex.embeddings.shape == (len(ex.tokens), d_model)
        assert ex.w_q.shape == ex.w_k.shape == (d_model, len(data.QUERY_KEY_FEATURES))
        assert ex.w_v.shape == (d_model, len(data.VALUE_FEATURES))
        for array in (ex.embeddings, ex.w_q, ex.w_k, ex.w_v):
            assert array.dtype == np.float64
            array[:] = 0.0
        again = data.self_attention_example(sentence)
        assert np.abs(again.w_q).sum() > 0 and np.abs(again.embeddings).sum() > 0


def test_self_attention_example_rejects_an_unknown_sentence() -> None:
    with pytest.raises(KeyError, match="unknown sentence"):
        data.self_attention_example("the cat sat")


def test_self_attention_example_d_v_differs_from_d_k() -> None:
    ex = data.self_attention_example(data.SELF_ATTENTION_SENTENCES[0])
    assert ex.w_v.shape[1] != ex.w_k.shape[1]


def test_that_attends_most_to_girl() -> None:
    tokens, weights, _ = _hand_set_attention("see that girl run")
    row = weights[tokens.index("that")]
    assert tokens[int(np.argmax(row))] == "girl"
    assert row[tokens.index("girl")] > 0.6


def test_it_attends_most_to_elephant_and_clearly_less_to_street() -> None:
    sentence = "the elephant didn't cross the street because it was too tired"
    tokens, weights, outputs = _hand_set_attention(sentence)
    row = weights[tokens.index("it")]
    assert tokens[int(np.argmax(row))] == "elephant"
    assert row[tokens.index("elephant")] > 0.6
    assert row[tokens.index("elephant")] > 5 * row[tokens.index("street")]
    animate = data.VALUE_FEATURES.index("animate")
    assert outputs[tokens.index("it"), animate] > 0.6  # "it" becomes animate after attention


def test_raw_embeddings_make_that_attend_to_itself() -> None:
    # Notebook 04 motivates learned projections with this: x.x favours the word itself.
    ex = data.self_attention_example("see that girl run")
    scores = ex.embeddings @ ex.embeddings.T
    that = ex.tokens.index("that")
    assert int(np.argmax(scores[that])) == that


# ---- digits (notebook 08) ---------------------------------------------------------------------


def test_digits_split_has_the_documented_shapes_dtypes_and_range() -> None:
    import torch

    split = data.digits()
    assert split.train_images.shape == (1797 - data.DIGITS_TEST_SIZE, 8, 8)
    assert split.test_images.shape == (data.DIGITS_TEST_SIZE, 8, 8)
    assert split.train_labels.shape == (1797 - data.DIGITS_TEST_SIZE,)
    assert split.test_labels.shape == (data.DIGITS_TEST_SIZE,)
    assert split.train_images.dtype == split.test_images.dtype == torch.float32
    assert split.train_labels.dtype == split.test_labels.dtype == torch.int64
    for images in (split.train_images, split.test_images):
        assert float(images.min()) == 0.0 and float(images.max()) == 1.0
    assert set(split.train_labels.tolist()) == set(split.test_labels.tolist()) == set(range(10))


def test_digits_split_is_fixed_by_its_seed_and_disjoint() -> None:
    from sklearn.datasets import load_digits

    first, again, other = data.digits(), data.digits(), data.digits(seed=1)
    assert torch_equal(first.test_images, again.test_images)
    assert torch_equal(first.train_labels, again.train_labels)
    assert not torch_equal(first.test_images, other.test_images)
    # train + test is the whole set, each image once: compare as rows of 64 grey levels
    every = {tuple(row.astype(int)) for row in load_digits().data}  # grey levels 0..16
    rows = [
        tuple((image.reshape(-1).numpy() * 16).round().astype(int))
        for image in (*first.train_images, *first.test_images)
    ]
    assert len(rows) == 1797 and set(rows) <= every
    assert len(set(rows)) == len(every)  # no image lost (the set has a few exact duplicates)


def test_digits_returns_fresh_tensors_and_checks_test_size() -> None:
    first = data.digits()
    first.train_images.zero_()
    assert float(data.digits().train_images.max()) == 1.0
    assert data.digits(test_size=100).test_images.shape == (100, 8, 8)
    for bad in (0, 1797, -5):
        with pytest.raises(ValueError, match="test_size"):
            data.digits(test_size=bad)


def torch_equal(a, b) -> bool:
    return a.shape == b.shape and bool((a == b).all())
