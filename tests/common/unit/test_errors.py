"""Domain errors cross RPC as '[CODE] English / 中文' text a client can parse."""

from sanbao_common.errors import DomainError, InvalidInput, parse_error_text


class Overdrawn(DomainError):
    code = "OVERDRAWN"
    message_en = "not enough cash"
    message_zh = "可用资金不足"


def test_the_text_starts_with_the_code_and_carries_both_languages():
    text = str(Overdrawn(account="A1"))
    assert text == "[OVERDRAWN] not enough cash / 可用资金不足 (account=A1)"
    assert parse_error_text(text) == ("OVERDRAWN", "not enough cash / 可用资金不足 (account=A1)")


def test_invalid_input_names_every_field():
    error = InvalidInput(
        {"name": ["Missing data for required field."], "labourer": {"phone": ["bad"]}}
    )
    assert "name: Missing data for required field." in str(error)
    assert "labourer.phone: bad" in str(error)
    assert error.code == "INVALID_INPUT"


def test_text_without_a_code_is_returned_whole():
    assert parse_error_text("boom") == (None, "boom")
