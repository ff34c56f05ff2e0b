"""Exercise feedback: every wrong or missing answer gets a message that says what differs and where."""

import pytest
import torch

from eqlib.exercises import ExerciseError, answer, check_close, check_that


def test_a_right_answer_passes_quietly():
    expected = torch.linspace(0, 1, 12).view(3, 4)
    check_close("f", expected + 1e-7, expected)
    check_that("f", True, "never shown")
    assert answer({"x": 3}, "x", "Exercise 1") == 3


@pytest.mark.parametrize(
    "got, message",
    [
        (None, "f: your function returned None\nHint: write its lines where the `...` is"),
        ([1.0, 2.0], "expected a tensor, got list"),
        (torch.zeros(4, 3), r"shape \(4, 3\), expected \(3, 4\)"),
        (torch.full((3, 4), float("nan")), r"12 entries are NaN or infinite, first at \(0, 0\)"),
    ],
)
def test_a_missing_or_malformed_answer_is_named(got, message):
    with pytest.raises(ExerciseError, match=message):
        check_close("f", got, torch.zeros(3, 4))


def test_a_wrong_value_names_the_largest_gap_its_index_both_values_and_the_hint():
    expected = torch.zeros(3, 4)
    got = expected.clone()
    got[2, 1], got[0, 3] = 0.5, 0.1
    with pytest.raises(ExerciseError) as raised:
        check_close("my_f", got, expected, hint="roll, then rotate")
    text = str(raised.value)
    assert "2 of 12 entries differ" in text and "largest gap is 0.5, at index (2, 1)" in text
    assert "yours 0.5, eqlib's 0" in text and text.endswith("Hint: roll, then rotate")
    assert isinstance(raised.value, AssertionError)  # a failed check reads as a failed assertion


def test_a_missing_name_and_a_failed_condition_say_what_to_do():
    with pytest.raises(ExerciseError, match="Exercise 2: `big_lstm` is not defined yet\nHint: run your solution"):
        answer({}, "big_lstm", "Exercise 2")
    with pytest.raises(ExerciseError, match="Exercise 3: error 0.2\nHint: average the four rotations"):
        check_that("Exercise 3", False, "error 0.2", "average the four rotations")
