"""``completionkit ask``: the question from the arguments and stdin, the answer streamed to
stdout, structured output, providers; run as the installed console script."""

from __future__ import annotations

import json
from pathlib import Path

from completionkit.testing import Fault, LocalServer, Reply

from .conftest import API_KEY, Cli


def test_the_arguments_are_the_question_and_the_answer_is_streamed_to_stdout(
    cli: Cli, server: LocalServer
) -> None:
    server.queue(Reply.text("Paris is the capital of France."))

    done = cli("ask", "--model", "gpt-4o-mini", "What is", "the capital of France?")

    assert done.stdout == "Paris is the capital of France.\n"
    assert done.stderr == ""
    sent = server.last_request.body
    assert sent["model"] == "gpt-4o-mini"
    assert sent["stream"] is True
    assert sent["messages"] == [{"role": "user", "content": "What is the capital of France?"}]


def test_stdin_is_the_question(cli: Cli, server: LocalServer) -> None:
    server.queue(Reply.text("Four."))

    done = cli("ask", "-m", "gpt-4o-mini", input="What is 2 + 2?\n")

    assert done.stdout == "Four.\n"
    assert server.last_request.body["messages"] == [{"role": "user", "content": "What is 2 + 2?"}]


def test_stdin_comes_first_as_the_context_then_the_arguments(cli: Cli, server: LocalServer) -> None:
    server.queue(Reply.text("A division by zero."))

    cli("ask", "-m", "gpt-4o-mini", "What went wrong?", input="ZeroDivisionError: division by zero\n")

    assert server.last_request.body["messages"] == [
        {"role": "user", "content": "ZeroDivisionError: division by zero\n\nWhat went wrong?"}
    ]


def test_an_answer_ends_with_one_newline(cli: Cli, server: LocalServer) -> None:
    server.queue(Reply.text("Two lines,\nthe last one ended.\n\n"))

    done = cli("ask", "-m", "gpt-4o-mini", "Hi")

    assert done.stdout == "Two lines,\nthe last one ended.\n"


def test_system_temperature_and_max_tokens_go_with_the_request(cli: Cli, server: LocalServer) -> None:
    cli(
        "ask",
        "-m",
        "gpt-4o-mini",
        "--system",
        "Answer in one word.",
        "--temperature",
        "0.2",
        "--max-tokens",
        "50",
        "The capital of Italy?",
    )

    sent = server.last_request.body
    assert sent["messages"] == [
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": "The capital of Italy?"},
    ]
    assert sent["temperature"] == 0.2
    assert sent["max_completion_tokens"] == 50


def test_the_model_comes_from_the_environment_without_model(cli: Cli, server: LocalServer) -> None:
    cli("ask", "Hello", env={"COMPLETIONKIT_MODEL": "gpt-4.1-nano"})

    assert server.last_request.body["model"] == "gpt-4.1-nano"


def test_a_json_schema_file_is_sent_strict_and_the_answer_printed_as_json(
    cli: Cli, server: LocalServer
) -> None:
    schema = {
        "title": "city",
        "type": "object",
        "properties": {"name": {"type": "string"}, "country": {"type": "string"}},
        "required": ["name", "country"],
        "additionalProperties": False,
    }
    (cli.cwd / "city.json").write_text(json.dumps(schema), "utf-8")
    server.queue(Reply.json({"name": "Tokyo", "country": "Japan"}))

    done = cli("ask", "-m", "gpt-4o-mini", "--schema", "city.json", "The capital of Japan?")

    assert json.loads(done.stdout) == {"name": "Tokyo", "country": "Japan"}
    assert server.last_request.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "city", "schema": schema, "strict": True},
    }


def test_an_inline_json_schema_works_too(cli: Cli, server: LocalServer) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
        "additionalProperties": False,
    }

    done = cli("ask", "-m", "gpt-4o-mini", "--schema", json.dumps(schema), "2 + 2?")

    # The local model answers JSON of the schema it is given.
    assert isinstance(json.loads(done.stdout)["answer"], int)
    format_sent = server.last_request.body["response_format"]
    assert format_sent["json_schema"]["schema"] == schema
    assert format_sent["json_schema"]["strict"] is True


def test_a_python_type_of_the_current_folder_is_the_response_format(cli: Cli, server: LocalServer) -> None:
    (cli.cwd / "weather_shapes.py").write_text(
        "import msgspec\n\nclass Weather(msgspec.Struct):\n    city: str\n    temperature: float\n",
        "utf-8",
    )
    server.queue(Reply.json({"city": "Paris", "temperature": 21.5}))

    done = cli("ask", "-m", "gpt-4o-mini", "--schema", "weather_shapes:Weather", "The weather in Paris?")

    assert json.loads(done.stdout) == {"city": "Paris", "temperature": 21.5}
    format_sent = server.last_request.body["response_format"]
    assert format_sent["type"] == "json_schema"
    assert format_sent["json_schema"]["strict"] is True
    assert set(format_sent["json_schema"]["schema"]["properties"]) == {"city", "temperature"}


def test_a_schema_that_is_nothing_known_is_a_usage_error(cli: Cli, server: LocalServer) -> None:
    for schema in ("no-such-file.json", "{not json", "no_such_module_here:Type"):
        done = cli("ask", "-m", "gpt-4o-mini", "--schema", schema, "Hi", code=2)
        assert "--schema" in done.stderr
    assert server.requests == []


def test_a_refusal_is_reported_on_stderr_with_exit_code_1(cli: Cli, server: LocalServer) -> None:
    server.queue(Reply.refusal_of("I cannot help with that."))

    done = cli("ask", "-m", "gpt-4o-mini", "--schema", '{"type": "object"}', "Something bad", code=1)

    assert done.stdout == ""
    assert "I cannot help with that." in done.stderr


def _providers_file(folder: Path, server: LocalServer) -> Path:
    path = folder / "providers.toml"
    path.write_text(
        f'[providers.bench]\nbase_url = "{server.url}"\napi_key_env = "BENCH_API_KEY"\n\n'
        '[models]\nfast = "bench:gpt-4o-mini"\n',
        "utf-8",
    )
    return path


def test_provider_colon_model_goes_to_that_provider_with_its_key(cli: Cli, server: LocalServer) -> None:
    providers = _providers_file(cli.cwd, server)
    # The default server is nowhere: only the provider of the model is asked.
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": None, "BENCH_API_KEY": API_KEY}

    cli("ask", "--providers-file", str(providers), "-m", "bench:gpt-4o-mini", "Hello", env=env)
    assert server.last_request.body["model"] == "gpt-4o-mini"

    server.clear_requests()
    cli("ask", "-m", "fast", "Hello", env={**env, "COMPLETIONKIT_PROVIDERS": str(providers)})
    assert server.last_request.body["model"] == "gpt-4o-mini"


def test_provider_option_names_the_server(cli: Cli, server: LocalServer) -> None:
    providers = _providers_file(cli.cwd, server)
    env = {"OPENAI_BASE_URL": None, "OPENAI_API_KEY": None, "BENCH_API_KEY": API_KEY}

    done = cli("ask", "--provider", "bench", "--providers-file", str(providers), "-m", "m", "Hi", env=env)

    assert done.stdout == "Hi\n"
    assert server.last_request.body["model"] == "m"


def test_base_url_and_api_key_file_options_win_over_the_environment(cli: Cli, server: LocalServer) -> None:
    key_file = cli.cwd / "key.txt"
    key_file.write_text(API_KEY + "\n", "utf-8")
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "sk-wrong"}

    done = cli("ask", "--base-url", server.url, "--api-key-file", str(key_file), "-m", "m", "Hi", env=env)

    assert done.stdout == "Hi\n"


def test_no_model_no_prompt_no_key_are_usage_errors(cli: Cli, server: LocalServer) -> None:
    assert "--model" in cli("ask", "Hello", code=2).stderr
    assert "prompt" in cli("ask", "-m", "gpt-4o-mini", code=2).stderr
    no_key = cli("ask", "-m", "gpt-4o-mini", "Hello", env={"OPENAI_API_KEY": None}, code=2)
    assert "MissingAPIKeyError" in no_key.stderr
    cli("ask", "-m", "gpt-4o-mini", "--temperature", "hot", "Hello", code=2)
    cli("ask", "-m", "gpt-4o-mini", "--api-key-file", "no-such-key.txt", "Hello", code=2)
    cli("ask", "-m", "gpt-4o-mini", "--providers-file", "no-such-providers.toml", "Hello", code=2)
    assert server.requests == []


def test_a_request_the_client_refuses_is_a_usage_error(cli: Cli, server: LocalServer) -> None:
    providers = cli.cwd / "providers.toml"
    providers.write_text('[providers.broken]\nbase_url = "not a url"\n', "utf-8")

    done = cli("ask", "--providers-file", str(providers), "-m", "gpt-4o-mini", "Hi", code=2)

    assert "ProvidersFileError" in done.stderr
    assert server.requests == []


def test_an_api_error_exits_1_without_showing_the_key(cli: Cli, server: LocalServer) -> None:
    server.inject(Fault.http_error(401))

    done = cli("ask", "-m", "gpt-4o-mini", "Hello", code=1)

    assert done.stdout == ""
    assert "AuthenticationError" in done.stderr
    assert "Traceback" not in done.stderr
    assert API_KEY not in done.stderr


def test_a_wrong_key_is_an_api_error_never_shown(cli: Cli) -> None:
    done = cli("ask", "-m", "gpt-4o-mini", "Hello", env={"OPENAI_API_KEY": "sk-secret-wrong"}, code=1)

    assert "AuthenticationError" in done.stderr
    assert "sk-secret-wrong" not in done.stderr + done.stdout
