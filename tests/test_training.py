"""Tests for course_lib.training: the shared seq2seq training loop, evaluation and plot."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
import torch.nn as nn

from course_lib import data, training

TASK = data.ReversalTask(n_symbols=4, min_len=2, max_len=5)


class TinyModel(nn.Module):
    """Position-wise logits from the decoder input only: learns something, fast."""

    def __init__(self, vocab: int, bad_shape: bool = False):
        super().__init__()
        self.emb = nn.Embedding(vocab, 8)
        self.out = nn.Linear(8, vocab)
        self.bad_shape = bad_shape

    def forward(self, src, src_lens, dec_in):
        logits = self.out(self.emb(dec_in))  # (B, T, V)
        return logits[:, :-1] if self.bad_shape else logits


def reverse_oracle(src, src_lens, out_len):
    """A perfect decoder for the reversal task."""
    out = torch.zeros(src.shape[0], out_len, dtype=torch.long)
    for i, n in enumerate(src_lens.tolist()):
        out[i, :n] = src[i, :n].flip(0)
    return out


def test_training_lowers_the_loss_and_logs_every_step():
    torch.manual_seed(0)
    model = TinyModel(TASK.vocab_size)
    log = training.train_seq2seq(model, TASK, steps=60, batch_size=16, progress=False)
    assert len(log.losses) == log.steps == 60
    assert log.seconds > 0 and log.device == "cpu"
    assert np.mean(log.losses[-10:]) < np.mean(log.losses[:10])
    assert not model.training, "left in eval mode"
    assert log.smoothed(10).shape == (51,)


def test_training_is_reproducible_for_a_seed_and_restores_the_thread_count():
    before = torch.get_num_threads()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = TinyModel(TASK.vocab_size)
        runs.append(training.train_seq2seq(model, TASK, steps=5, progress=False, seed=3).losses)
    assert runs[0] == runs[1]
    assert torch.get_num_threads() == before


def test_training_rejects_logits_of_the_wrong_shape_with_a_clear_message():
    with pytest.raises(ValueError, match="expected .batch, target length, vocab_size."):
        training.train_seq2seq(
            TinyModel(TASK.vocab_size, bad_shape=True), TASK, steps=1, progress=False
        )


def test_training_rejects_nonsense_settings():
    with pytest.raises(ValueError, match="steps"):
        training.train_seq2seq(TinyModel(TASK.vocab_size), TASK, steps=0, progress=False)
    with pytest.raises(ValueError, match="no parameters"):
        training.train_seq2seq(nn.Identity(), TASK, steps=1, progress=False)


def test_threads_context_sets_and_restores():
    before = torch.get_num_threads()
    with training.threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with training.threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(ValueError):
        with training.threads(0):
            pass


def test_accuracy_by_length_is_one_for_a_perfect_decoder_and_chance_for_a_constant():
    lengths = [3, 7, 30]
    perfect = training.accuracy_by_length(reverse_oracle, TASK, lengths, n=50)
    assert perfect == {3: 1.0, 7: 1.0, 30: 1.0}

    def constant(src, src_lens, out_len):
        return torch.full((src.shape[0], out_len), 2, dtype=torch.long)

    chance = training.accuracy_by_length(constant, TASK, [20], n=400)
    assert abs(chance[20] - 1 / TASK.n_symbols) < 0.05


def test_accuracy_by_length_checks_the_decoder_output_shape():
    def too_short(src, src_lens, out_len):
        return torch.zeros(src.shape[0], out_len - 1, dtype=torch.long)

    with pytest.raises(ValueError, match="decode returned shape"):
        training.accuracy_by_length(too_short, TASK, [4], n=5)


def test_plot_accuracy_vs_length_draws_one_curve_per_model_in_percent():
    ax = training.plot_accuracy_vs_length(
        {"a": {4: 1.0, 8: 0.5}, "b": {4: 0.9, 8: 0.95}}, train_max_len=8
    )
    lines = [line for line in ax.get_lines() if line.get_label() in ("a", "b")]
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_ydata(), [100.0, 50.0])
    assert ax.get_ylabel() == "token accuracy (%)"
    with pytest.raises(ValueError):
        training.plot_accuracy_vs_length({})


def test_lstm_encoder_decoder_builds_the_layers_of_notebooks_01_03_06_in_one_order():
    """The order fixes the starting weights after a seed: 01, 03 and 06 start alike."""
    plain = training.LSTMEncoderDecoder(12)
    assert [name for name, _ in plain.named_children()] == [
        "src_emb",
        "tgt_emb",
        "encoder",
        "decoder",
        "out",
    ]
    assert not plain.attention and not hasattr(plain, "combine")
    assert plain.src_emb.padding_idx == data.PAD and plain.tgt_emb.padding_idx == data.PAD
    assert (plain.encoder.input_size, plain.encoder.hidden_size) == (32, 64)
    assert plain.encoder.batch_first and plain.decoder.batch_first
    assert (plain.out.in_features, plain.out.out_features) == (64, 12)
    attentive = training.LSTMEncoderDecoder(12, emb_dim=8, hidden_size=16, attention=True)
    assert [name for name, _ in attentive.named_children()][-2:] == ["combine", "out"]
    assert (attentive.combine.in_features, attentive.combine.out_features) == (32, 16)
    assert attentive.src_emb.embedding_dim == 8 and attentive.decoder.hidden_size == 16


def test_lstm_encoder_decoder_starts_from_the_same_weights_after_the_same_seed():
    """A notebook's subclass adds methods, not layers: the same seed gives the same weights,
    with and without attention (which adds only ``combine``, after the LSTMs)."""

    class WithMethods(training.LSTMEncoderDecoder):
        def encode(self, src, src_lens):
            return self.encoder(self.src_emb(src))[1]

    for attention in (False, True):
        torch.manual_seed(5)
        a = training.LSTMEncoderDecoder(9, attention=attention).state_dict()
        torch.manual_seed(5)
        b = WithMethods(9, attention=attention).state_dict()
        assert list(a) == list(b)
        assert all(torch.equal(a[k], b[k]) for k in a)
    torch.manual_seed(5)
    plain = training.LSTMEncoderDecoder(9).state_dict()
    assert torch.equal(plain["encoder.weight_ih_l0"], a["encoder.weight_ih_l0"])
    assert not torch.equal(plain["out.weight"], a["out.weight"]), "combine is drawn before out"


def test_lstm_encoder_decoder_holds_no_exercise():
    """Encoding, the forward pass and decoding are the notebooks' (exercises in 01 and 03)."""
    model = training.LSTMEncoderDecoder(9)
    for name in ("encode", "step", "readout", "decode", "greedy_decode"):
        assert not hasattr(model, name), name
    with pytest.raises(NotImplementedError):
        model(torch.zeros(1, 2, dtype=torch.long), torch.tensor([2]), torch.zeros(1, 2))
