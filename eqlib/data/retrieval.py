"""The associative retrieval task of Ba et al. 2016 ("Using Fast Weights to Attend to the Recent Past").

A sequence shows ``K`` key-value pairs with distinct keys (letters) and any values (digits),
then the query marker ``??`` and one of the keys; the answer is that key's value::

    c9k8j3f1??f  ->  1        (K = 4, length 2K + 3 = 11)

The vocabulary has 37 symbols: 26 letters, 10 digits and ``?``. Symbols are token ids
``0..36`` (letters first, then digits, then ``?``); the targets are digit classes ``0..9``.
"""

from __future__ import annotations

import string
from collections.abc import Iterator

import torch

LETTERS = string.ascii_lowercase
DIGITS = string.digits
VOCABULARY = LETTERS + DIGITS + "?"
QUERY = VOCABULARY.index("?")
FIRST_DIGIT = VOCABULARY.index("0")


def sequence_length(pairs: int) -> int:
    """Length ``2K + 3`` of a sequence with ``K`` pairs."""
    return 2 * pairs + 3


def _check_pairs(pairs: int) -> None:
    if not isinstance(pairs, int) or not 1 <= pairs <= len(LETTERS):
        raise ValueError(f"pairs (K) must be an int between 1 and {len(LETTERS)} (distinct letter keys), got {pairs!r}")


def retrieval_batch(
    n: int, pairs: int, seed: int | None = None, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random sequences with ``pairs`` key-value pairs.

    Args:
        seed: makes the batch deterministic; or pass a ``generator`` to draw a stream of batches.

    Returns:
        tokens ``(n, 2K + 3)`` int64 in ``0..36`` and targets ``(n,)`` int64 in ``0..9``.
    """
    _check_pairs(pairs)
    if not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if seed is not None and generator is not None:
        raise ValueError("give either seed or generator, not both")
    g = generator if generator is not None else torch.Generator().manual_seed(0 if seed is None else seed)
    keys = torch.rand(n, len(LETTERS), generator=g).argsort(dim=1)[:, :pairs]  # distinct letters per row
    values = torch.randint(0, 10, (n, pairs), generator=g)
    asked = torch.randint(0, pairs, (n,), generator=g)
    tokens = torch.empty(n, sequence_length(pairs), dtype=torch.long)
    tokens[:, 0 : 2 * pairs : 2] = keys
    tokens[:, 1 : 2 * pairs : 2] = values + FIRST_DIGIT
    tokens[:, -3:-1] = QUERY
    rows = torch.arange(n)
    tokens[:, -1] = keys[rows, asked]
    return tokens, values[rows, asked]


class RetrievalBatches:
    """An endless task stream cut into epochs: ``batches(epoch)`` yields ``steps`` fresh batches.

    Epoch ``e`` draws from seed ``seed + e``, so a resumed run sees the batches an
    uninterrupted run would have seen. Use with ``eqlib.train.fit``.
    """

    def __init__(self, pairs: int, batch_size: int, steps: int, seed: int = 0) -> None:
        if not isinstance(steps, int) or steps <= 0:
            raise ValueError(f"steps per epoch must be a positive int, got {steps!r}")
        _check_pairs(pairs)
        self.pairs, self.batch_size, self.steps, self.seed = pairs, batch_size, steps, seed

    def __len__(self) -> int:
        return self.steps

    def __call__(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        generator = torch.Generator().manual_seed(self.seed + epoch)
        for _ in range(self.steps):
            yield retrieval_batch(self.batch_size, self.pairs, generator=generator)


def encode(text: str) -> torch.Tensor:
    """Token ids ``(len(text),)`` of a string such as ``'c9k8j3f1??f'``."""
    unknown = sorted(set(text) - set(VOCABULARY))
    if unknown:
        raise ValueError(f"only lowercase letters, digits and '?' are allowed, got {''.join(unknown)!r}")
    return torch.tensor([VOCABULARY.index(ch) for ch in text], dtype=torch.long)


def decode(tokens: torch.Tensor) -> str:
    """The string of a 1-D sequence of token ids."""
    if tokens.dim() != 1:
        raise ValueError(f"decode expects one sequence (L,), got shape {tuple(tokens.shape)}")
    return "".join(VOCABULARY[int(t)] for t in tokens)


def parse_query(text: str) -> tuple[torch.Tensor, int | None]:
    """Check a hand-typed task string and return its tokens and the answer (``None`` if the key is absent).

    The string must read ``k v k v ... ??q`` with letter keys, digit values and distinct keys.
    """
    if len(text) < 5 or len(text) % 2 == 0 or text[-3:-1] != "??":
        raise ValueError(f"expected key-value pairs, then '??' and a key letter (e.g. 'c9k8j3f1??f'), got {text!r}")
    keys, values, query = text[0:-3:2], text[1:-3:2], text[-1]
    if not (set(keys) <= set(LETTERS) and set(values) <= set(DIGITS) and query in LETTERS):
        raise ValueError(f"keys and the query must be lowercase letters and values digits, got {text!r}")
    if len(set(keys)) != len(keys):
        raise ValueError(f"keys must be distinct, got {keys!r}")
    answer = int(values[keys.index(query)]) if query in keys else None
    return encode(text), answer
