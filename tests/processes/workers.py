"""What the tests' worker processes run: importable by name, as a spawned or forkserver
worker needs its functions to be."""

from __future__ import annotations

from completionkit import AsyncOpenAI, OpenAI

INHERITED: OpenAI | None = None
"""A client the parent made and used before it forked its workers (fork context only)."""


def ask(client: OpenAI, marker: str) -> str:
    """The model's answer to ``marker`` (the local model echoes it)."""
    return client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": marker}]
    ).choice.text


def ask_inherited(marker: str) -> str:
    assert INHERITED is not None
    return ask(INHERITED, marker)


def ask_async(client: AsyncOpenAI, markers: list[str]) -> list[str]:
    """Each marker's answer, one ``asyncio.run`` per marker: the client outlives its loops."""
    import asyncio

    async def one(marker: str) -> str:
        result = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": marker}]
        )
        return result.choice.text

    return [asyncio.run(one(marker)) for marker in markers]


def fail(client: OpenAI, how: str) -> None:
    """Raise the error the server (or the network) makes of ``how``."""
    if how == "400":
        client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}], extra_body={"temperature": 99}
        )
    elif how == "404":
        client.chat.completions.retrieve("chatcmpl-no-such-completion")
    elif how == "connection":
        client.with_options(base_url=_closed_port_url(), max_retries=0).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}]
        )
    raise AssertionError(f"{how} did not fail")


def _closed_port_url() -> str:
    import socket

    with socket.socket() as sock:  # a port nothing listens on once this is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
