"""What spec/ refuses beyond types reaches the generated code: the combinations of fields
a request body may not hold become the endpoint stub's ``BodyRule``s, and a query
parameter's bounds its query Struct's ``Meta`` (codegen/stubs.py); a form the stubs
cannot carry fails the generation instead of being dropped."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from codegen.document import dump_yaml, load_yaml
from completionkit._generated import endpoints
from completionkit._generated.endpoints import BodyRule

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec" / "openapi.yaml"


def _spec() -> Any:
    return load_yaml(SPEC.read_bytes())


def _generate(spec: Any, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "openapi.yaml"
    path.write_text(dump_yaml(spec), "utf-8")
    return subprocess.run(
        [sys.executable, "-m", "codegen.generate", "--spec", str(path), "--root", str(tmp_path / "out")],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_each_refused_combination_of_spec_is_a_rule_of_the_stub() -> None:
    refused = _spec()["components"]["schemas"]["CreateChatCompletionRequest"]["not"]["anyOf"]
    assert [
        BodyRule(c["required"][0], name, c["properties"][name]["not"]["const"])
        for c in refused
        for name in c["properties"]
        if name != c["required"][0]
    ] == list(endpoints.create_chat_completion.body_rules)
    assert endpoints.create_chat_completion.body_rules == (
        BodyRule("top_logprobs", "logprobs", True),
        BodyRule("stream_options", "stream", True),
    )
    assert all(not e.body_rules for e in endpoints.ENDPOINTS if e is not endpoints.create_chat_completion)


@pytest.mark.parametrize(
    ("body", "broken"),
    [
        ({}, False),
        ({"top_logprobs": None}, False),
        ({"top_logprobs": msgspec.UNSET, "logprobs": False}, False),
        ({"top_logprobs": 2, "logprobs": True}, False),
        ({"top_logprobs": 0}, True),
        ({"top_logprobs": 2, "logprobs": False}, True),
        ({"top_logprobs": 2, "logprobs": None}, True),
        ({"top_logprobs": 2, "logprobs": msgspec.UNSET}, True),
        ({"top_logprobs": 2, "logprobs": 1}, True),  # 1 == True in Python, not in JSON
    ],
)
def test_a_body_rule_is_broken_by_a_used_field_without_the_value_it_needs(
    body: dict[str, object], broken: bool
) -> None:
    rule = BodyRule("top_logprobs", "logprobs", True)
    assert rule.broken_by(body.get) is broken
    assert rule.message == "top_logprobs is only allowed when logprobs is true"


USED = {"not": {"type": "null"}}


@pytest.mark.parametrize(
    ("combination", "why"),
    [
        ({"required": ["top_logprobs"], "properties": {"logprobs": {"not": {"const": True}}}}, "not a field"),
        (
            {
                "required": ["top_logprobs"],
                "properties": {"top_logprobs": USED, "logprobs": {"const": False}},
            },
            "not a field",
        ),
        (
            {
                "required": ["top_logprobs"],
                "properties": {"top_logprobs": USED, "nothing": {"not": {"const": True}}},
            },
            "names ['nothing']",
        ),
    ],
    ids=["no field given", "a value required, not refused", "a field the body lacks"],
)
def test_a_rule_the_stubs_cannot_carry_fails_the_generation(
    tmp_path: Path, combination: dict[str, Any], why: str
) -> None:
    spec = copy.deepcopy(_spec())
    spec["components"]["schemas"]["CreateChatCompletionRequest"]["not"]["anyOf"].append(combination)
    completed = _generate(spec, tmp_path)
    assert completed.returncode == 1
    assert "createChatCompletion:" in completed.stderr
    assert why in completed.stderr
    assert not (tmp_path / "out").exists()


def test_the_bounds_of_a_query_parameter_reach_its_query_struct(tmp_path: Path) -> None:
    spec = copy.deepcopy(_spec())
    parameters = spec["paths"]["/chat/completions"]["get"]["parameters"]
    next(p for p in parameters if p["name"] == "limit")["schema"].update(minimum=1, maximum=100)
    completed = _generate(spec, tmp_path)
    assert completed.returncode == 0, completed.stderr
    source = (tmp_path / "out" / "generated" / "endpoints.py").read_text("utf-8")
    assert "    limit: Annotated[int, Meta(ge=1, le=100)] | UnsetType = UNSET\n" in source
    # spec/ itself bounds no limit: the committed stub takes any integer.
    assert "    limit: int | UnsetType = UNSET\n" in (ROOT / "generated" / "endpoints.py").read_text("utf-8")
