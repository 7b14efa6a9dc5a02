"""OpenAI and AsyncOpenAI cannot drift: _async_client.py is _client.py with async/await and
the Async names, line for line, and nothing else (both are kept by hand)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import completionkit

PACKAGE = Path(completionkit.__file__).parent

# The async spelling of each sync word, longest first.
_ASYNC_WORDS = [
    ("AsyncChatCompletionStreamManager", "ChatCompletionStreamManager"),
    ("AsyncChatCompletionStream", "ChatCompletionStream"),
    ("AsyncChatCompletions", "ChatCompletions"),
    ("AsyncCompletionMessages", "CompletionMessages"),
    ("AsyncConversation", "Conversation"),
    ("AsyncConnections", "Connections"),
    ("legacy_async_client", "legacy_client"),
    ("httpx2.AsyncClient", "httpx2.Client"),
    ("AsyncCaller", "Caller"),
    ("AsyncBulkRun", "BulkRun"),
    ("AsyncOpenAI", "OpenAI"),
    ("AsyncPages", "Pages"),
    ("AsyncPage", "Page"),
    ("AsyncChat", "Chat"),
    ("__aenter__", "__enter__"),
    ("__aexit__", "__exit__"),
    ("aclose", "close"),
    ("aread", "read"),
    ("asleep", "sleep"),
    ("arun_all", "run_all"),
]

# Where the two differ by more than spelling, and why. Nothing else may.
ALLOWED = {
    # The sync run_tools() refuses async tools before it starts; the async one runs them.
    (
        (
            "            messages, {**(parameters or {}), **params}, max_rounds, on_tool_call, "
            "asynchronous=False",
        ),
        (
            "            messages, {**(parameters or {}), **params}, max_rounds, on_tool_call, "
            "asynchronous=True",
        ),
    ),
    # stream(): the sync one sends the request and returns the stream; the async one is a
    # plain def that returns a manager (as openai's AsyncOpenAI does), which sends it when
    # `async with` enters it (or when it is awaited), so that `async with` needs no await.
    (
        ("    from ._streaming import ChatCompletionStream",),
        ("    from ._streaming import ChatCompletionStream, ChatCompletionStreamManager",),
    ),
    (("    ) -> ChatCompletionStream[P]:",), ("    ) -> ChatCompletionStreamManager[P]:",)),
    (
        ("        return self._caller.open_stream(prepared)",),
        (
            "        from ._streaming import ChatCompletionStreamManager",
            "",
            "        return ChatCompletionStreamManager(self._caller.open_stream(prepared))",
        ),
    ),
    # The async twin imports the lazy pages too; the sync one has no need for them.
    (
        ("from ._results import ChatCompletionOutcome, ChatCompletionResult, P, Page",),
        ("from ._results import Page, Pages, ChatCompletionOutcome, ChatCompletionResult, P",),
    ),
    # async: list() answers at once with an AsyncPages (async for it, or await the first
    # page); sync: list() fetches the first page, which iterates over the later ones.
    (("    ) -> Page[ChatCompletionResult]:",), ("    ) -> Pages[ChatCompletionResult]:",)),
    (("    ) -> Page[StoredMessage]:",), ("    ) -> Pages[StoredMessage]:",)),
    (
        ('        return fetch(params.get("after"))',),
        ('        return Pages(lambda: fetch(params.get("after")))',),
    ),
}


def _body(source: str) -> list[str]:
    return source.split('"""', 2)[2].splitlines()  # the module docstrings say which is which


def _unasync(source: str) -> list[str]:
    for async_word, sync_word in _ASYNC_WORDS:
        source = re.sub(rf"\b{re.escape(async_word)}\b", sync_word, source)
    source = re.sub(r"\basync (def|with|for) ", r"\1 ", source)
    source = re.sub(r"\bawait ", "", source)
    return _body(source)


def test_the_async_client_is_the_sync_client_with_await() -> None:
    sync = _body((PACKAGE / "_client.py").read_text("utf-8"))
    unasynced = _unasync((PACKAGE / "_async_client.py").read_text("utf-8"))
    matcher = difflib.SequenceMatcher(a=sync, b=unasynced, autojunk=False)
    differences = {
        (tuple(sync[i1:i2]), tuple(unasynced[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    }
    assert differences <= ALLOWED, sorted(differences - ALLOWED)


def test_the_unasync_rules_see_every_async_word() -> None:
    # A word the rules missed would make the comparison above fail, not pass; this says
    # which word it was.
    source = (PACKAGE / "_async_client.py").read_text("utf-8")
    used = set(re.findall(r"\b_?Async\w+|\ba(?:close|read|sleep)\b|__a(?:enter|exit)__", source))
    known = {a.rsplit(".", 1)[-1] for a, _ in _ASYNC_WORDS}
    assert used <= known, used - known
