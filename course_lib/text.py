"""Text for the character-level language model of notebook 07, taken from Python itself.

Nothing is downloaded: the corpus is the documentation that every Python installation carries,
the docstrings of a fixed list of standard-library modules and of their public classes and
functions (a few hundred thousand characters of technical English). The exact text differs a
little between Python versions, so results do too; within one installation it is always the same.

- :func:`python_docs_corpus` builds the text;
- :class:`CharVocab` maps characters to token ids and back;
- :func:`lm_batch` draws random training windows ``(x, y)`` where ``y`` is ``x`` shifted by one.
"""

from __future__ import annotations

import importlib
import inspect
import string
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = ["CORPUS_MODULES", "CharVocab", "lm_batch", "python_docs_corpus", "split_ids"]

#: The standard-library modules whose documentation makes the corpus (all importable without
#: side effects on every platform Python supports).
CORPUS_MODULES: tuple[str, ...] = (
    "builtins", "collections", "itertools", "functools", "os", "pathlib", "json", "re",
    "string", "textwrap", "datetime", "random", "math", "statistics", "fractions", "decimal",
    "heapq", "bisect", "argparse", "logging", "unittest", "dataclasses", "enum", "csv",
    "shutil", "tempfile", "threading", "queue", "contextlib", "pickle", "copy",
    "operator", "abc", "io", "calendar", "difflib", "zipfile", "tarfile", "gzip", "base64",
    "hashlib", "urllib.parse", "doctest", "pprint", "traceback", "warnings", "weakref",
)  # fmt: skip

_ALLOWED = set(string.printable) - set("\t\r\x0b\x0c")
# Names that a Jupyter kernel replaces with its own objects (``input`` reads from the browser),
# left out so that the text is the same in a kernel and in a plain Python.
_REPLACED_IN_KERNELS = {"builtins": {"input"}}
_MIN_CHARS = 20_000


def _docstrings(module_name: str) -> Iterable[str]:
    """The module's docstring, then those of its public classes and functions, by name."""
    module = importlib.import_module(module_name)
    if module.__doc__:
        yield module.__doc__
    for name in sorted(vars(module)):
        if name.startswith("_") or name in _REPLACED_IN_KERNELS.get(module_name, ()):
            continue
        obj = vars(module)[name]
        is_own = getattr(obj, "__module__", None) == module.__name__
        if is_own and (inspect.isclass(obj) or inspect.isroutine(obj)):
            doc = obj.__doc__
            if isinstance(doc, str) and len(doc) > 40:
                yield doc


def python_docs_corpus(modules: Sequence[str] = CORPUS_MODULES) -> str:
    """Documentation text from the standard library, to train a character-level model on.

    Each docstring is dedented (``inspect.cleandoc``); characters outside printable ASCII are
    dropped (tabs become spaces), and docstrings are separated by a blank line.

    Args:
        modules: the modules to read, in order.

    Returns:
        the text (about 250,000 characters with the default modules).

    Raises:
        RuntimeError: the text is too short to train on, as under ``python -OO``, which strips
            docstrings.
    """
    parts: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for module_name in modules:
            for doc in _docstrings(module_name):
                text = inspect.cleandoc(doc).replace("\t", "    ")
                parts.append("".join(ch for ch in text if ch in _ALLOWED))
    corpus = "\n\n".join(part for part in parts if part.strip())
    if len(corpus) < _MIN_CHARS:
        raise RuntimeError(
            f"the standard library's docstrings gave only {len(corpus)} characters: is Python "
            "running with -OO (which strips docstrings)? Run it without -OO."
        )
    return corpus


@dataclass(frozen=True)
class CharVocab:
    """A character vocabulary: token id ``i`` is the ``i``-th character of ``chars``.

    Attributes:
        chars: the distinct characters, sorted.
    """

    chars: str

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        """The vocabulary of every distinct character in ``text``."""
        if not text:
            raise ValueError("cannot build a vocabulary from empty text")
        return cls("".join(sorted(set(text))))

    @property
    def size(self) -> int:
        """Number of tokens."""
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        """Token ids of ``text``: a ``(len(text),)`` int64 tensor.

        Raises:
            ValueError: ``text`` has a character outside the vocabulary.
        """
        import torch

        index = {ch: i for i, ch in enumerate(self.chars)}
        unknown = sorted({ch for ch in text if ch not in index})
        if unknown:
            raise ValueError(
                f"characters {unknown!r} are not in the vocabulary of {self.size} characters"
            )
        return torch.tensor([index[ch] for ch in text], dtype=torch.long)

    def decode(self, ids: object) -> str:
        """The text of a sequence of token ids (a list, a numpy array or a 1-D tensor)."""
        values = np.asarray(ids.tolist() if hasattr(ids, "tolist") else ids).ravel()
        if values.size and (values.min() < 0 or values.max() >= self.size):
            raise ValueError(f"token ids must lie in 0 .. {self.size - 1}")
        return "".join(self.chars[int(i)] for i in values)


def split_ids(ids: torch.Tensor, val_fraction: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a 1-D sequence of token ids into a training head and a validation tail."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie strictly between 0 and 1, got {val_fraction}")
    cut = int(len(ids) * (1.0 - val_fraction))
    return ids[:cut], ids[cut:]


def lm_batch(
    ids: torch.Tensor,
    block_size: int,
    batch_size: int,
    rng: np.random.Generator,
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows of a token sequence, for next-token prediction.

    Args:
        ids: the token ids, (N,).
        block_size: the window length T.
        batch_size: the number of windows B.
        rng: where the window starts come from (``np.random.default_rng(seed)``).
        device: where to put the result.

    Returns:
        ``(x, y)``, both (B, T) int64, with ``y[:, t] == ids[start + t + 1]`` the token after
        ``x[:, t] == ids[start + t]``.
    """
    import torch

    if block_size < 1 or batch_size < 1:
        raise ValueError(
            f"block_size and batch_size must be positive, got {block_size} and {batch_size}"
        )
    if len(ids) <= block_size:
        raise ValueError(f"need more than block_size={block_size} tokens, got {len(ids)}")
    starts = torch.from_numpy(rng.integers(0, len(ids) - block_size, size=batch_size))
    offsets = torch.arange(block_size + 1)
    windows = ids[starts[:, None] + offsets]  # (B, T + 1)
    return windows[:, :-1].to(device), windows[:, 1:].to(device)
