"""Tests for course_lib.text: the standard-library corpus, the character vocabulary, batches."""

from __future__ import annotations

import string

import numpy as np
import pytest
import torch

from course_lib import text


@pytest.fixture(scope="module")
def corpus() -> str:
    return text.python_docs_corpus()


def test_corpus_is_large_printable_english_and_repeatable(corpus: str) -> None:
    assert len(corpus) > 150_000
    assert set(corpus) <= set(string.printable) - set("\t\r\x0b\x0c")
    assert "Return" in corpus and "\n\n" in corpus
    assert text.python_docs_corpus() == corpus


def test_corpus_follows_the_module_list(corpus: str) -> None:
    assert corpus.startswith("Built-in functions, types")  # builtins comes first
    assert text.python_docs_corpus(["json", *text.CORPUS_MODULES]).startswith("JSON (JavaScript")
    with pytest.raises(RuntimeError, match="-OO"):
        text.python_docs_corpus(["heapq"])


def test_vocab_round_trips_text_and_rejects_unknown_characters(corpus: str) -> None:
    vocab = text.CharVocab.from_text(corpus)
    assert vocab.size == len(set(corpus))
    assert list(vocab.chars) == sorted(vocab.chars)
    ids = vocab.encode(corpus[:1000])
    assert ids.dtype == torch.long and ids.shape == (1000,)
    assert vocab.decode(ids) == corpus[:1000]
    assert vocab.decode(ids.numpy()) == vocab.decode(ids.tolist())
    with pytest.raises(ValueError, match="not in the vocabulary"):
        text.CharVocab.from_text("abc").encode("abd")
    with pytest.raises(ValueError, match="token ids"):
        text.CharVocab.from_text("abc").decode([3])
    with pytest.raises(ValueError, match="empty"):
        text.CharVocab.from_text("")


def test_lm_batch_targets_are_the_inputs_shifted_by_one() -> None:
    ids = torch.arange(100)
    x, y = text.lm_batch(ids, block_size=8, batch_size=5, rng=np.random.default_rng(0))
    assert x.shape == y.shape == (5, 8)
    assert torch.equal(y[:, :-1], x[:, 1:])
    assert torch.equal(y[:, -1], x[:, -1] + 1)
    assert int(y.max()) <= 99
    again, _ = text.lm_batch(ids, block_size=8, batch_size=5, rng=np.random.default_rng(0))
    assert torch.equal(x, again)
    with pytest.raises(ValueError, match="more than block_size"):
        text.lm_batch(ids[:8], block_size=8, batch_size=1, rng=np.random.default_rng(0))


def test_split_ids_keeps_order_and_rejects_bad_fractions() -> None:
    train, val = text.split_ids(torch.arange(10), val_fraction=0.2)
    assert train.tolist() == list(range(8)) and val.tolist() == [8, 9]
    with pytest.raises(ValueError, match="val_fraction"):
        text.split_ids(torch.arange(10), val_fraction=1.0)


@pytest.mark.slow
def test_corpus_is_the_same_in_a_notebook_kernel(corpus: str, tmp_path) -> None:
    """A kernel replaces ``input`` and its imports patch some functions; the corpus must not
    change, or the numbers a notebook prints would depend on where it runs."""
    import nbformat

    from autograder.kernels import execute_notebook

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import IPython, torch, matplotlib.pyplot, ipywidgets\n"
            "from course_lib.text import python_docs_corpus\n"
            "print(len(python_docs_corpus()))"
        )
    ]
    path = tmp_path / "corpus.ipynb"
    nbformat.write(nb, str(path))
    printed = execute_notebook(path, timeout=120).cells[0].outputs[0]["text"]
    assert int(printed.split()[-1]) == len(corpus)
