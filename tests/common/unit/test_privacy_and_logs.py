"""Personal data is masked in every part of a log line, whoever writes it."""

import io
import json
import logging

import pytest

from sanbao_common.context import correlation_id_var
from sanbao_common.logs import setup_logging
from sanbao_common.privacy import mask_id_number, mask_phone, mask_text, remask

ID_NUMBER = "532501199003150013"
PHONE = "13769347503"


def test_masked_forms_keep_only_what_tells_records_apart():
    assert mask_id_number(ID_NUMBER) == "532501***********3"
    assert mask_id_number("11010519491231002X") == "110105***********X"
    assert mask_id_number("532501900315001") == "532501*********"  # no check digit to keep
    assert mask_phone(PHONE) == "137********"


def test_an_earlier_masked_form_is_remasked_without_the_number():
    assert remask("532501********0013") == mask_id_number(ID_NUMBER)
    assert remask("137****7503") == mask_phone(PHONE)
    assert remask(mask_id_number(ID_NUMBER)) == mask_id_number(ID_NUMBER)  # already today's
    assert remask(None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"id {ID_NUMBER} ok", "id 532501***********3 ok"),
        ("id 11010519491231002x.", "id 110105***********x."),
        ("old id 532501900315001 here", "old id 532501********* here"),
        (f"call {PHONE}", "call 137********"),
        ("call +86 137 6934 7503", "call 137********"),
        ("call 137-6934-7503", "call 137********"),
        (f"{{'id_number': '{ID_NUMBER}'}}", "{'id_number': '532501***********3'}"),
    ],
)
def test_text_is_masked_wherever_the_numbers_sit(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "event 0f8fad5b-d9cb-469f-a165-70867728950e",  # UUIDs stay readable
        "hash 5f4dcc3b5aa765d61d8327deb882cf99",
        "counter 1234567890123456789012",  # a longer run of digits is not an ID number
        "amount 12345.67 fen 1234567",
    ],
)
def test_other_numbers_are_left_alone(text):
    assert mask_text(text) == text


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    setup_logging("registry", "532501", "DEBUG", stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger().handlers.clear()


def test_a_line_is_json_with_service_county_and_correlation_id(log_lines):
    token = correlation_id_var.set("c0ffee")
    try:
        logging.getLogger("sanbao.test").info("hello %s", "world")
    finally:
        correlation_id_var.reset(token)
    (line,) = log_lines()
    assert line["message"] == "hello world"
    assert line["service"] == "registry"
    assert line["county"] == "532501"
    assert line["correlation_id"] == "c0ffee"
    assert line["level"] == "INFO"


def test_message_arguments_are_masked(log_lines):
    logging.getLogger("sanbao.test").warning("duplicate %s phone %s", ID_NUMBER, PHONE)
    (line,) = log_lines()
    assert ID_NUMBER not in json.dumps(line) and PHONE not in json.dumps(line)
    assert "532501***********3" in line["message"]


def test_extra_fields_are_masked(log_lines):
    logging.getLogger("sanbao.test").info(
        "registered", extra={"person": {"id_number": ID_NUMBER, "phones": [PHONE]}}
    )
    (line,) = log_lines()
    assert line["person"] == {"id_number": "532501***********3", "phones": ["137********"]}


def test_exception_tracebacks_are_masked(log_lines):
    def register(id_number):
        raise ValueError(f"cannot register {id_number}")

    try:
        register(ID_NUMBER)
    except ValueError:
        logging.getLogger("sanbao.test").exception("failed")
    (line,) = log_lines()
    assert "Traceback" in line["exc"]
    assert ID_NUMBER not in line["exc"] and "532501***********3" in line["exc"]


@pytest.mark.parametrize("library", ["nameko.containers", "kombu.connection", "amqp", "eventlet"])
def test_libraries_own_lines_are_masked(log_lines, library):
    # A library that attached its own handler must not get around the masking either.
    logging.getLogger(library).addHandler(logging.NullHandler())
    setup_logging("registry", "532501", "DEBUG", stream=None)
    stream = io.StringIO()
    setup_logging("registry", "532501", "DEBUG", stream=stream)
    logging.getLogger(library).error(
        "worker args ({'id_number': '%s', 'phone': '%s'})", ID_NUMBER, PHONE
    )
    text = stream.getvalue()
    assert ID_NUMBER not in text and PHONE not in text
    assert json.loads(text)["logger"] == library
