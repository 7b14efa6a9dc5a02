"""The requests of a bulk run: lines in the shape of OpenAI's Batch API input, from a list,
a tuple, a generator or a JSONL file, each checked as it is read; a finite input checked
whole (its bodies through create's own checks) before anything is sent."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from completionkit import InvalidRequestError, OpenAI
from completionkit._operations import prepare_create
from completionkit.bulk import BulkRequest
from completionkit.bulk._input import Line, checked_count, request_lines

MESSAGES = [{"role": "user", "content": "Hello there"}]


def request(custom_id: str, **body: Any) -> dict[str, Any]:
    return {"custom_id": custom_id, "body": {"model": "m", "messages": MESSAGES, **body}}


def write_jsonl(path: Path, lines: list[object | str]) -> Path:
    """Each item a line: JSON of an object, or a string as it is (a blank line, bad JSON)."""
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), "utf-8")
    return path


@pytest.fixture
def check_body() -> Iterator[Any]:
    """create's own checks of a body, as the bulk runner makes them: no request is sent
    (the port is closed), only prepare_create runs."""
    with OpenAI(api_key="sk-test-key", base_url="http://127.0.0.1:9/v1") as client:
        config = client._caller.config

        def check(body: Mapping[str, Any]) -> object:
            params = {k: v for k, v in body.items() if k != "messages"}
            return prepare_create(config, body.get("messages"), None, params, method="bulk")

        yield check


# --- the shapes ----------------------------------------------------------------------------


def test_a_list_gives_its_lines_numbered_from_one() -> None:
    typed: BulkRequest = {
        "custom_id": "typed",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "m", "messages": MESSAGES},
    }
    lines = list(request_lines([request("a"), request("b", temperature=0.5), typed]))
    assert lines == [
        Line(1, "a", request("a")["body"]),
        Line(2, "b", request("b", temperature=0.5)["body"]),
        Line(3, "typed", typed["body"]),
    ]


def test_a_file_is_read_as_jsonl_blank_lines_skipped_but_counted(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [request("a"), "", "   ", request("b"), request("c")])
    lines = list(request_lines(path))
    assert [(line.number, line.custom_id) for line in lines] == [(1, "a"), (4, "b"), (5, "c")]
    assert lines[0].body == request("a")["body"]
    assert [line.custom_id for line in request_lines(str(path))] == ["a", "b", "c"]  # a str path too


def test_a_file_with_a_byte_order_mark_and_crlf_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + json.dumps(request("a")).encode() + b"\r\n" + json.dumps(request("b")).encode()
    )
    assert [line.custom_id for line in request_lines(path)] == ["a", "b"]


def test_unicode_custom_ids_from_a_file(tmp_path: Path) -> None:
    ids = ["ligne-é", "行-1", "emoji-🙂", "tab\there", "quote\"'", "line\u2028separator"]
    path = write_jsonl(tmp_path / "in.jsonl", [request(i) for i in ids])
    assert [line.custom_id for line in request_lines(path)] == ids


def test_a_generator_is_read_lazily_one_line_at_a_time() -> None:
    pulled: list[int] = []

    def generate() -> Iterator[dict[str, Any]]:
        for n in range(1, 1_000_000):
            pulled.append(n)
            yield request(f"row-{n}")

    lines = request_lines(generate())
    assert pulled == []  # nothing read before the first line is asked for
    first = next(lines)
    assert (first.number, first.custom_id, pulled) == (1, "row-1", [1])
    next(lines)
    assert pulled == [1, 2]


def test_a_bad_line_of_a_generator_raises_when_it_is_reached() -> None:
    lines = request_lines(iter([request("a"), request("b"), {"custom_id": "c"}]))
    assert [next(lines).custom_id, next(lines).custom_id] == ["a", "b"]
    with pytest.raises(InvalidRequestError) as raised:
        next(lines)
    assert raised.value.param == "body"
    assert raised.value.message.startswith("body: line 3 (custom_id 'c'): ")


# --- the errors ----------------------------------------------------------------------------

BODY = {"model": "m", "messages": MESSAGES}


@pytest.mark.parametrize(
    ("line", "param", "where", "says"),
    [
        ({"body": BODY}, "custom_id", "line 2", "got none"),
        ({"custom_id": "", "body": BODY}, "custom_id", "line 2", "non-empty string"),
        ({"custom_id": 7, "body": BODY}, "custom_id", "line 2", "got 7"),
        ({"custom_id": None, "body": BODY}, "custom_id", "line 2", "got None"),
        ({"custom_id": "x", "body": BODY, "method": "GET"}, "method", "line 2 (custom_id 'x')", "got 'GET'"),
        (
            {"custom_id": "x", "body": BODY, "url": "/v1/embeddings"},
            "url",
            "line 2 (custom_id 'x')",
            "embeddings",
        ),
        ({"custom_id": "x"}, "body", "line 2 (custom_id 'x')", "got none"),
        ({"custom_id": "x", "body": "hello"}, "body", "line 2 (custom_id 'x')", "got 'hello'"),
        ({"custom_id": "x", "body": [BODY]}, "body", "line 2 (custom_id 'x')", "got a list"),
        (
            {"custom_id": "x", "body": {"messages": MESSAGES}},
            "body.model",
            "line 2 (custom_id 'x')",
            "no model",
        ),
        (
            {"custom_id": "x", "body": {"model": "m"}},
            "body.messages",
            "line 2 (custom_id 'x')",
            "no messages",
        ),
        ({"custom_id": "x", "body": BODY, "bdy": 1}, "bdy", "line 2 (custom_id 'x')", "did you mean 'body'?"),
        ({"customid": "x", "body": BODY}, "customid", "line 2", "did you mean 'custom_id'?"),
        ({"custom_id": "x", "body": BODY, 5: 1}, "requests", "line 2 (custom_id 'x')", "unknown field 5"),
        (
            {"custom_id": "\ud800", "body": BODY},
            "custom_id",
            "line 2 (custom_id '\\ud800')",
            "lone surrogate",
        ),
        ("a string", "requests", "line 2", "got 'a string'"),
        (None, "requests", "line 2", "got None"),
    ],
)
def test_each_bad_line_names_its_field_and_its_place(line: object, param: str, where: str, says: str) -> None:
    lines = request_lines([request("first"), line])
    next(lines)
    with pytest.raises(InvalidRequestError) as raised:
        next(lines)
    error = raised.value
    assert error.param == param
    assert error.message.startswith(f"{param}: {where}: ")
    assert says in error.message


def test_a_long_custom_id_is_shortened_in_the_message() -> None:
    custom_id = "x" * 10_000
    with pytest.raises(InvalidRequestError) as raised:
        list(request_lines([{"custom_id": custom_id, "body": {}}]))
    assert len(raised.value.message) < 300


def test_a_duplicate_custom_id_names_both_lines() -> None:
    with pytest.raises(InvalidRequestError) as raised:
        list(request_lines([request("a"), request("b"), request("c"), request("b")]))
    error = raised.value
    assert error.param == "custom_id"
    assert error.message.startswith("custom_id: line 4 (custom_id 'b'): the custom_id of line 2 again")


def test_a_duplicate_in_a_file_names_both_lines_of_the_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [request("a"), "", request("b"), "", "", request("a")])
    with pytest.raises(InvalidRequestError) as raised:
        list(request_lines(path))
    assert raised.value.message.startswith("custom_id: line 6 (custom_id 'a'): the custom_id of line 1 again")


@pytest.mark.parametrize("bad", ['{"custom_id": "b", "body": ', "not json", '{"custom_id": "b"} trailing'])
def test_bad_json_in_a_file_names_the_line(tmp_path: Path, bad: str) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [request("a"), "", bad, request("c")])
    lines = request_lines(path)
    assert next(lines).custom_id == "a"
    with pytest.raises(InvalidRequestError) as raised:
        next(lines)
    assert raised.value.param == "requests"
    assert raised.value.message.startswith("requests: line 3: not a JSON line: ")


def test_invalid_utf8_in_a_file_is_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"custom_id": "\xff", "body": {}}\n')
    with pytest.raises(InvalidRequestError) as raised:
        list(request_lines(path))
    assert raised.value.message.startswith("requests: line 1: not a JSON line")


@pytest.mark.parametrize(
    ("source", "says"),
    [
        (request("a"), "got one request: put it in a list"),
        (42, "got an int"),
        (b'{"custom_id": "a"}', "got a bytes"),
        (None, "got a NoneType"),
    ],
)
def test_a_source_that_is_not_lines_raises_at_once(source: Any, says: str) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        request_lines(source)
    assert raised.value.param == "requests"
    assert raised.value.message.endswith(says)
    with pytest.raises(InvalidRequestError):
        checked_count(source, lambda body: None)


def test_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        checked_count(tmp_path / "nowhere.jsonl", lambda body: None)


# --- checked_count ----------------------------------------------------------------------------


def test_a_list_a_tuple_and_a_file_are_counted_and_every_body_checked(
    tmp_path: Path, check_body: Any
) -> None:
    requests = [request(f"row-{n}", temperature=n / 10) for n in range(5)]
    checked: list[Mapping[str, Any]] = []

    def check(body: Mapping[str, Any]) -> object:
        checked.append(body)
        return check_body(body)

    assert checked_count(requests, check) == 5
    assert checked == [r["body"] for r in requests]
    assert checked_count(tuple(requests), check_body) == 5
    path = write_jsonl(tmp_path / "in.jsonl", [*requests[:2], "", *requests[2:]])
    assert checked_count(path, check_body) == 5
    assert checked_count(str(path), check_body) == 5
    assert checked_count([], check_body) == 0


def test_a_generator_or_an_iterator_is_not_read(check_body: Any) -> None:
    pulled: list[int] = []

    def generate() -> Iterator[dict[str, Any]]:
        pulled.append(1)
        yield request("a")

    checked: list[object] = []
    assert checked_count(generate(), checked.append) is None
    assert checked_count(iter([request("a"), {"bad": "line"}]), checked.append) is None
    assert checked_count(map(dict, [request("a")]), checked.append) is None
    assert pulled == []
    assert checked == []


def test_a_bad_parameter_names_the_line_and_the_body_field(check_body: Any) -> None:
    requests = [request("a"), request("b"), request("c", temperature="hot"), request("d")]
    with pytest.raises(InvalidRequestError) as raised:
        checked_count(requests, check_body)
    error = raised.value
    assert error.param == "body.temperature"
    assert error.message.startswith("body.temperature: line 3 (custom_id 'c'): ")
    assert "temperature: temperature" not in error.message  # the inner param is not said twice
    assert isinstance(error.__cause__, InvalidRequestError)


def test_a_bad_message_in_a_file_names_the_line(tmp_path: Path, check_body: Any) -> None:
    bad = {"custom_id": "q", "body": {"model": "m", "messages": [{"role": "wizard", "content": "hi"}]}}
    path = write_jsonl(tmp_path / "in.jsonl", [request("a"), "", bad])
    with pytest.raises(InvalidRequestError) as raised:
        checked_count(path, check_body)
    assert raised.value.param is not None
    assert raised.value.param.startswith("body.messages")
    assert raised.value.message.startswith(f"{raised.value.param}: line 3 (custom_id 'q'): ")


def test_a_duplicate_far_down_a_list_is_found_before_anything_is_sent(check_body: Any) -> None:
    requests = [request(f"row-{n}") for n in range(1000)] + [request("row-17")]
    with pytest.raises(InvalidRequestError) as raised:
        checked_count(requests, check_body)
    assert raised.value.message.startswith(
        "custom_id: line 1001 (custom_id 'row-17'): the custom_id of line 18"
    )
