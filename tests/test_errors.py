"""helpers.errors.expect_error: shows an intended error in one line, and insists on it."""

import pytest

from helpers.errors import ExpectedErrorMissing, expect_error


def test_prints_type_and_first_line_and_goes_on(capsys):
    with expect_error(ValueError):
        raise ValueError("targets must be class indices\nsecond line is detail")
    assert capsys.readouterr().out == "ValueError: targets must be class indices\n"


def test_any_of_several_types(capsys):
    with expect_error(ValueError, RuntimeError):
        raise RuntimeError("size mismatch")
    assert capsys.readouterr().out == "RuntimeError: size mismatch\n"


def test_an_empty_message_prints_the_type_alone(capsys):
    with expect_error(KeyError):
        raise KeyError()
    assert capsys.readouterr().out == "KeyError\n"


def test_no_error_is_a_failure():
    with pytest.raises(ExpectedErrorMissing, match="expected ValueError, but the code ran"):
        with expect_error(ValueError):
            pass


def test_another_error_type_propagates():
    with pytest.raises(ZeroDivisionError):
        with expect_error(ValueError):
            raise ZeroDivisionError("another error")


@pytest.mark.parametrize(
    ("types", "message"),
    [((), "at least one exception type"), ((ValueError, "oops"), "exception classes"),
     ((int,), "exception classes")],
)
def test_bad_arguments_are_refused(types, message):
    with pytest.raises(TypeError, match=message):
        with expect_error(*types):
            pass
