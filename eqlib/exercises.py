"""Feedback for the notebooks' exercises: checks that say what differs, where, and what to try.

A check cell compares a student's answer with ``eqlib``'s reference on random inputs. Each
function here raises ``ExerciseError`` (an ``AssertionError``) with a message a student can
act on, and returns quietly when the answer is right; the check cell then prints its own
"Check passed" line. A student copy's skeleton leaves ``...`` where the lines go, so an
unanswered exercise reaches its check as ``None`` (a function's return value) or as a missing
name, and both get a message rather than a traceback from deep inside torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch


class ExerciseError(AssertionError):
    """An exercise's answer is missing or wrong; the message says what differs and gives a hint."""


def _message(what: str, problem: str, hint: str) -> str:
    return f"{what}: {problem}" + (f"\nHint: {hint}" if hint else "")


def answer(namespace: Mapping[str, Any], name: str, exercise: str) -> Any:
    """``namespace[name]``, or ``ExerciseError`` saying that ``exercise`` asks for it.

    ``namespace`` is the notebook's ``globals()``; ``name`` is what the exercise's cell defines.
    """
    if name not in namespace:
        raise ExerciseError(_message(exercise, f"`{name}` is not defined yet", "run your solution cell above first"))
    return namespace[name]


def check_close(
    what: str,
    got: Any,
    expected: torch.Tensor,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    hint: str = "",
) -> None:
    """Raise ``ExerciseError`` unless ``got`` is a tensor of ``expected``'s shape and values.

    The message names the first problem found: no answer (``None``), not a tensor, the wrong
    shape, NaN or infinite entries, or the largest difference and the index where it occurs.
    """
    if got is None:
        raise ExerciseError(_message(what, "your function returned None", "write its lines where the `...` is"))
    if not isinstance(got, torch.Tensor):
        raise ExerciseError(_message(what, f"expected a tensor, got {type(got).__name__}", hint))
    expected = expected.detach().cpu().to(torch.float64)
    got_cpu = got.detach().cpu().to(torch.float64)
    if got_cpu.shape != expected.shape:
        raise ExerciseError(_message(what, f"shape {tuple(got_cpu.shape)}, expected {tuple(expected.shape)}", hint))
    finite = torch.isfinite(got_cpu)
    if not finite.all():
        where = tuple(int(i) for i in (~finite).nonzero()[0])
        raise ExerciseError(
            _message(what, f"{int((~finite).sum())} entries are NaN or infinite, first at {where}", hint)
        )
    gap = (got_cpu - expected).abs()
    allowed = atol + rtol * expected.abs()
    if (gap > allowed).any():
        flat = int((gap - allowed).argmax())
        where = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), gap.shape))
        raise ExerciseError(
            _message(
                what,
                f"{int((gap > allowed).sum())} of {gap.numel()} entries differ from eqlib's; the largest gap is "
                f"{gap.max().item():.3g}, at index {where}: yours {got_cpu[where].item():.6g}, "
                f"eqlib's {expected[where].item():.6g}",
                hint,
            )
        )


def check_that(what: str, condition: bool, problem: str, hint: str = "") -> None:
    """Raise ``ExerciseError`` with ``problem`` (and ``hint``) unless ``condition`` holds."""
    if not condition:
        raise ExerciseError(_message(what, problem, hint))
