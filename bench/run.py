"""completionkit against the official openai package, side by side: ``nox -s bench``.

Every workload runs both clients (and, where there is one, the floor: the same job done
with plain httpx2 and ``json``) in the same run, in rounds: each round runs every
contender once, in an order that rotates from round to round, and the report gives the
median of the rounds and the median of the per-round ratios (a ratio taken within one
round compares samples that met the same moment of this noisy machine).  The report goes
to BENCHMARKS.md, its chart to bench/benchmarks.svg.  Nothing here is a test: no number
is asserted.

    BENCH_ROUNDS=3 python bench/run.py                 # fewer rounds
    BENCH_ONLY=stream,growth python bench/run.py       # some workloads; prints, writes nothing

Workloads (BENCH_ONLY names): stream, rps, cold, create, logprobs, listing (peak memory
and the listing series), growth (the stream and logprobs series), held (what a long
stream holds), bulk (bulk() against the loop users write by hand, resuming, and bulk()'s
peak memory at 100,000 requests), limited (both again, with the server's rate limits on),
writes (the local server with and without write coalescing, handing a stream's events to
uvicorn together or one by one).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import importlib.metadata
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "BENCHMARKS.md"
CHART = ROOT / "bench" / "benchmarks.svg"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
# Where the ratio to the floor has a tight target (cold start, one create, the stream),
# the noise of this machine needs more rounds than that: never fewer than 11.
PAIRED_ROUNDS = max(ROUNDS, 11)
# The largest size of each growth series takes seconds a call for the official package:
# three rounds of it (fewer if BENCH_ROUNDS says so).
FEW_ROUNDS = min(ROUNDS, 3)
# A sample lasts at least this long, so that the timer's and the scheduler's noise stays
# small against it: a fast call is repeated as often as that takes.
MIN_SAMPLE = 0.2
WORKLOADS = (
    "stream",
    "rps",
    "cold",
    "create",
    "logprobs",
    "listing",
    "growth",
    "held",
    "bulk",
    "limited",
    "writes",
)
ONLY = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}

# --- canned answers ------------------------------------------------------------------

COMPLETION = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 1727346169,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello! How can I help you today?", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18},
    "system_fingerprint": "fp_bench",
}
COMPLETION_BODY = json.dumps(COMPLETION).encode()
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello!"}]
URL = "http://mock/v1/chat/completions"
AUTH = {"Authorization": "Bearer sk-bench"}


def _logprobs_body(tokens: int = 2000, top: int = 5) -> bytes:
    content = [
        {
            "token": f" w{i}",
            "logprob": -0.01 * (i % 7),
            "bytes": list(f" w{i}".encode()),
            "top_logprobs": [
                {"token": f" w{i}.{k}", "logprob": -0.1 * k, "bytes": [32, 119]} for k in range(top)
            ],
        }
        for i in range(tokens)
    ]
    body = json.loads(COMPLETION_BODY)
    body["choices"][0]["message"]["content"] = "".join(t["token"] for t in content)
    body["choices"][0]["logprobs"] = {"content": content, "refusal": None}
    return json.dumps(body).encode()


# One program writes the events of a stream: this one, as bytes at once, and the fresh
# interpreters of held_while_streaming(), one event at a time.
EVENTS = '''
import json

def events(chunks):
    """The server-sent events of a chunks-long answer: the role, a word a chunk, the stop;
    made one at a time, so that a consumer reading them one by one holds just one."""
    head = {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
            "system_fingerprint": "fp_bench"}

    def event(delta, finish):
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return b"data: " + json.dumps({**head, "choices": [choice]}).encode() + b"\\n\\n"

    yield event({"role": "assistant", "content": ""}, None)
    for i in range(chunks - 2):
        yield event({"content": f" w{i}"}, None)
    yield event({}, "stop")
    yield b"data: [DONE]\\n\\n"
'''
_events_module: dict[str, Any] = {}
exec(EVENTS, _events_module)


def _stream_body(chunks: int = 500) -> bytes:
    return b"".join(_events_module["events"](chunks))


# --- the clients, each on the mock transport of its own HTTP library -----------------------


def ours(body: bytes, content_type: str = "application/json") -> Any:
    import httpx2

    from completionkit import OpenAI

    transport = httpx2.MockTransport(
        lambda r: httpx2.Response(200, content=body, headers={"content-type": content_type})
    )
    return OpenAI(
        api_key="sk-bench", base_url="http://mock/v1", http_client=httpx2.Client(transport=transport)
    )


def official(body: bytes, content_type: str = "application/json") -> Any:
    import httpx2
    import openai

    transport = httpx2.MockTransport(
        lambda r: httpx2.Response(200, content=body, headers={"content-type": content_type})
    )
    return openai.OpenAI(
        api_key="sk-bench", base_url="http://mock/v1", http_client=httpx2.Client(transport=transport)
    )


def floor(body: bytes, content_type: str = "application/json") -> Any:
    import httpx2

    transport = httpx2.MockTransport(
        lambda r: httpx2.Response(200, content=body, headers={"content-type": content_type})
    )
    return httpx2.Client(transport=transport)


# --- measuring -----------------------------------------------------------------------------

Samples = dict[str, list[float]]


def _rounds(contenders: dict[str, Callable[[], float]], rounds: int = ROUNDS) -> Samples:
    """Run every contender once a round, starting one further along the list each round
    (so that none always runs first, or always right after the same one)."""
    names = list(contenders)
    samples: Samples = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            gc.collect()
            samples[name].append(contenders[name]())
    return samples


def _median(samples: Samples, name: str) -> float:
    return statistics.median(samples[name])


def _ratio(samples: Samples, over: str, under: str) -> float:
    """The median of the per-round ratios ``over / under``."""
    return statistics.median(a / b for a, b in zip(samples[over], samples[under], strict=True))


def _per_call(call: Callable[[], object], n: int) -> Callable[[], float]:
    def measure() -> float:
        start = time.perf_counter()
        for _ in range(n):
            call()
        return (time.perf_counter() - start) / n

    return measure


def _calibrated(call: Callable[[], object], min_time: float = MIN_SAMPLE) -> Callable[[], float]:
    """Seconds a call, over as many calls as last ``min_time``; the first call (which
    builds decoders and fills caches) is left out."""
    start = time.perf_counter()
    call()
    if time.perf_counter() - start >= min_time:  # a slow call: one is a sample, no need to count
        return _per_call(call, 1)
    n, elapsed = 1, 0.0
    while elapsed < min_time / 4:
        start = time.perf_counter()
        for _ in range(n):
            call()
        elapsed = time.perf_counter() - start
        if elapsed < min_time / 4:
            n *= 2
    return _per_call(call, max(1, math.ceil(n * min_time / elapsed)))


class _Tally:
    """The ``on_data`` callback of the stream workloads: counts the chunks it is given."""

    def __init__(self) -> None:
        self.chunks = 0

    def __call__(self, chunk: object) -> None:
        self.chunks += 1


# --- 1. a stream, per chunk ----------------------------------------------------------------


def _stream_calls(chunks: int) -> dict[str, Callable[[], object]]:
    """One whole streamed answer, for each contender: every chunk decoded and handed to a
    callback, the text joined, the final message built."""
    body = _stream_body(chunks)
    mine, theirs = ours(body, "text/event-stream"), official(body, "text/event-stream")
    plain = floor(body, "text/event-stream")
    tally = _Tally()

    def ours_stream() -> object:
        return mine.chat.completions.create(MESSAGES, model="m", stream=True, on_data=tally)

    def openai_stream() -> object:
        with theirs.chat.completions.stream(messages=MESSAGES, model="m") as stream:
            return stream.get_final_completion()

    def floor_stream() -> object:
        # What the client does, by hand: decode every event, call back, join the text.
        first: dict[str, Any] = {}
        parts: list[str] = []
        role = finish = None
        with plain.stream("POST", URL, json={"model": "m", "messages": MESSAGES, "stream": True},
                          headers=AUTH) as response:  # fmt: skip
            for line in response.iter_lines():
                if not line.startswith("data: "):
                    continue
                if line == "data: [DONE]":
                    break
                chunk = json.loads(line[6:])
                tally(chunk)
                first = first or chunk
                for choice in chunk["choices"]:
                    if choice["index"] != 0:
                        continue
                    delta = choice["delta"]
                    role = delta.get("role") or role
                    if delta.get("content"):
                        parts.append(delta["content"])
                    finish = choice["finish_reason"] or finish
        message = {"role": role, "content": "".join(parts)}
        return {"id": first["id"], "model": first["model"], "choices": [
            {"index": 0, "message": message, "finish_reason": finish}]}  # fmt: skip

    return {"completionkit": ours_stream, "floor": floor_stream, "openai": openai_stream}


def stream_per_chunk(chunks: int = 500) -> Samples:
    calls = _stream_calls(chunks)
    samples = _rounds({name: _calibrated(call) for name, call in calls.items()}, PAIRED_ROUNDS)
    return {name: [v / chunks for v in values] for name, values in samples.items()}


# --- 2. requests per second on the local server ---------------------------------------------


def _server(db: str, *options: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "completionkit.testing", "--port", "0", "--db", db, *options],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # the server says where it listens once it does
    return process, line.rsplit(" ", 1)[1].strip()


@contextlib.contextmanager
def _serving(db: str, *options: str) -> Iterator[str]:
    process, url = _server(db, *options)
    try:
        yield url
    finally:
        process.terminate()
        process.wait()


def requests_per_second() -> dict[str, Samples]:
    with tempfile.TemporaryDirectory() as tmp, _serving(str(Path(tmp) / "rps.sqlite")) as url:
        return _rps(url)


def _rps(url: str) -> dict[str, Samples]:
    import httpx2
    import openai

    from completionkit import AsyncOpenAI, OpenAI

    mine = OpenAI(api_key="k", base_url=url)
    theirs = openai.OpenAI(api_key="k", base_url=url)

    def sync_rate(call: Callable[[], object], n: int = 300) -> Callable[[], float]:
        def measure() -> float:
            start = time.perf_counter()
            for _ in range(n):
                call()
            return n / (time.perf_counter() - start)

        return measure

    def async_rate(kind: str, n: int = 1000) -> Callable[[], float]:
        async def run() -> float:
            pool = httpx2.AsyncClient(
                limits=httpx2.Limits(max_connections=100, max_keepalive_connections=100)
            )
            if kind == "completionkit":
                client: Any = AsyncOpenAI(api_key="k", base_url=url, http_client=pool)
                create = lambda: client.chat.completions.create(MESSAGES, model="m")  # noqa: E731
            else:
                client = openai.AsyncOpenAI(api_key="k", base_url=url, http_client=pool)
                create = lambda: client.chat.completions.create(messages=MESSAGES, model="m")  # noqa: E731
            gate = asyncio.Semaphore(100)

            async def one() -> None:
                async with gate:
                    await create()

            start = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(n)))
            rate = n / (time.perf_counter() - start)
            await client.close()
            return rate

        return lambda: asyncio.run(run())

    sync = _rounds(
        {
            "completionkit": sync_rate(lambda: mine.chat.completions.create(MESSAGES, model="m")),
            "openai": sync_rate(lambda: theirs.chat.completions.create(messages=MESSAGES, model="m")),
        }
    )
    in_flight = _rounds({"completionkit": async_rate("completionkit"), "openai": async_rate("openai")})
    return {"sync": sync, "async": in_flight}


# --- 3. cold start ---------------------------------------------------------------------------

_COLD_FLOOR = textwrap.dedent("""
    import httpx2, json
    t = httpx2.MockTransport(lambda r: httpx2.Response(200, content=BODY, headers={"content-type": "application/json"}))
    c = httpx2.Client(transport=t)
    r = c.post("http://mock/v1/chat/completions", json={"model": "m", "messages": MESSAGES},
               headers={"Authorization": "Bearer k"})
    assert json.loads(r.content)["choices"][0]["message"]["content"]
""")

# The floor's job, then the generated models imported and the answer decoded into them: what
# any client of these types pays, whatever its facade does. The facade's __init__ imports the
# whole client, so the package is stood in for by a bare one (the floor has loaded
# importlib.util and types already: the stand-in adds nothing to measure).
_COLD_TYPES = textwrap.dedent("""
    import importlib.util, sys, types
    package = types.ModuleType("completionkit")
    package.__path__ = importlib.util.find_spec("completionkit").submodule_search_locations
    sys.modules["completionkit"] = package
    import msgspec
    from completionkit._generated.models import ChatCompletion
    assert msgspec.json.decode(r.content, type=ChatCompletion).choices[0].message.content
""")

COLD = {
    "completionkit": """
        import httpx2
        from completionkit import OpenAI
        t = httpx2.MockTransport(lambda r: httpx2.Response(200, content=BODY, headers={"content-type": "application/json"}))
        c = OpenAI(api_key="k", base_url="http://mock/v1", http_client=httpx2.Client(transport=t))
        assert c.chat.completions.create(MESSAGES, model="m").choice.text
    """,
    "floor": _COLD_FLOOR,
    # The floor's job, then msgspec's import: what no client built on msgspec gets under.
    "floor + msgspec": _COLD_FLOOR + "import msgspec\n",
    "floor + generated types": _COLD_FLOOR + _COLD_TYPES,
    "openai": """
        import httpx2, openai
        t = httpx2.MockTransport(lambda r: httpx2.Response(200, content=BODY, headers={"content-type": "application/json"}))
        c = openai.OpenAI(api_key="k", base_url="http://mock/v1", http_client=httpx2.Client(transport=t))
        assert c.chat.completions.create(messages=MESSAGES, model="m").choices[0].message.content
    """,
}


def cold_start() -> Samples:
    """Paired rounds: each runs completionkit, the floor and openai in fresh interpreters,
    back to back, so that the per-round ratios compare runs that met the same machine."""

    def run(source: str) -> Callable[[], float]:
        program = f"BODY = {COMPLETION_BODY!r}\nMESSAGES = {MESSAGES!r}\n" + textwrap.dedent(source)

        def measure() -> float:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", program], check=True)
            return time.perf_counter() - start

        return measure

    for source in COLD.values():  # warm the .pyc caches of every package first
        run(source)()
    return _rounds({name: run(source) for name, source in COLD.items()}, PAIRED_ROUNDS)


def import_profile() -> list[tuple[str, float]]:
    """Where a cold start's import time goes: ``python -X importtime``, by top-level package."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import completionkit"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    totals: dict[str, float] = {}
    for line in out.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if not line.startswith("import time:") or len(fields) != 3:
            continue
        try:
            self_us = float(fields[0])
        except ValueError:
            continue  # the header line
        top = fields[2].strip().split(".")[0]
        totals[top] = totals.get(top, 0.0) + self_us
    return sorted(((k, v / 1000) for k, v in totals.items()), key=lambda kv: -kv[1])[:8]


# --- 4. one create on the mock transport -----------------------------------------------------


def request_overhead() -> Samples:
    mine, theirs, plain = ours(COMPLETION_BODY), official(COMPLETION_BODY), floor(COMPLETION_BODY)
    body = {"model": "gpt-4o-mini", "messages": MESSAGES}
    calls: dict[str, Callable[[], object]] = {
        "completionkit": lambda: mine.chat.completions.create(MESSAGES, model="gpt-4o-mini"),
        "floor": lambda: json.loads(plain.post(URL, json=body, headers=AUTH).content),
        "openai": lambda: theirs.chat.completions.create(messages=MESSAGES, model="gpt-4o-mini"),
    }
    return _rounds({name: _calibrated(call) for name, call in calls.items()}, PAIRED_ROUNDS)


# --- 5. a large logprobs answer ----------------------------------------------------------------


def _logprobs_calls(tokens: int) -> dict[str, Callable[[], object]]:
    body = _logprobs_body(tokens)
    mine, theirs = ours(body), official(body)

    def ours_decode() -> object:
        result = mine.chat.completions.create(MESSAGES, model="m")
        return result.choice.logprobs.content[-1].top_logprobs[-1].logprob

    def openai_decode() -> object:
        result = theirs.chat.completions.create(messages=MESSAGES, model="m")
        return result.choices[0].logprobs.content[-1].top_logprobs[-1].logprob

    # msgspec alone decoding the body into the same types: what any client that hands over
    # every token as an object needs at the least.
    import msgspec

    from completionkit._generated.models import ChatCompletion

    decoder = msgspec.json.Decoder(ChatCompletion)

    def msgspec_alone() -> object:
        result = decoder.decode(body)
        return result.choices[0].logprobs.content[-1].top_logprobs[-1].logprob

    return {"completionkit": ours_decode, "openai": openai_decode, "msgspec": msgspec_alone}


def logprobs_decode() -> Samples:
    return _rounds({name: _calibrated(call) for name, call in _logprobs_calls(2000).items()})


# --- 6 and 7. stored completions: peak memory, and listing 1,000 to 100,000 -------------------

LIST_SIZES = (1_000, 10_000, 100_000)

MEMORY = """
import sys, tracemalloc
kind, url = sys.argv[1], sys.argv[2]
if kind == "completionkit":
    from completionkit import OpenAI
    client = OpenAI(api_key="k", base_url=url)
    tracemalloc.start()
    held = list(client.chat.completions.list(limit=100))
else:
    import openai
    client = openai.OpenAI(api_key="k", base_url=url)
    tracemalloc.start()
    held = list(client.chat.completions.list(limit=100))
assert len(held) == 10000, len(held)
print(tracemalloc.get_traced_memory()[1])
"""


def _seed(store: Any, start: int, stop: int) -> None:
    """Store completions ``start`` to ``stop`` as the server would have stored them."""
    from completionkit.testing._model import Reply, build_completion

    request = {"model": "gpt-4o-mini", "messages": MESSAGES}
    for i in range(start, stop):
        text = Reply.text(f"Stored answer number {i}, with a few words.")
        completion = build_completion(request, text, f"chatcmpl-{i:08d}", 1727346169 + i)
        store.add({**completion, "metadata": {"n": str(i)}}, {"n": str(i)}, [])


def _fast_tmp() -> str | None:
    # Store.add commits every completion, and a commit waits for the disk (1.4 ms here):
    # 100,000 of them would take minutes. On tmpfs the same commits take 0.1 ms.
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


def _memory(url: str) -> Samples:
    def measure(kind: str) -> Callable[[], float]:
        def run() -> float:
            out = subprocess.run(
                [sys.executable, "-c", MEMORY, kind, url], check=True, capture_output=True, text=True
            )
            return float(out.stdout.strip())

        return run

    return _rounds({"completionkit": measure("completionkit"), "openai": measure("openai")})


def _listing(url: str, size: int) -> Samples:
    """Seconds an item, going through every stored completion (100 a page) without keeping them."""
    import openai

    from completionkit import OpenAI

    mine = OpenAI(api_key="k", base_url=url)
    theirs = openai.OpenAI(api_key="k", base_url=url)

    def through(pages: Callable[[], Any]) -> Callable[[], float]:
        def measure() -> float:
            start = time.perf_counter()
            count = sum(1 for _ in pages())
            assert count == size, count
            return (time.perf_counter() - start) / size

        return measure

    for client in (mine, theirs):  # a first page: decoders built, a connection open
        next(iter(client.chat.completions.list(limit=100)))
    return _rounds(
        {
            "completionkit": through(lambda: mine.chat.completions.list(limit=100)),
            "openai": through(lambda: theirs.chat.completions.list(limit=100)),
        },
        ROUNDS if size < LIST_SIZES[-1] else FEW_ROUNDS,
    )


def stored_completions() -> tuple[Samples, dict[int, Samples]]:
    """Peak memory of 10,000 completions listed and kept, and the listing series; one store
    grows from 1,000 to 100,000 completions while the server serves it."""
    from completionkit.testing._store import Store

    series: dict[int, Samples] = {}
    memory: Samples = {}
    with tempfile.TemporaryDirectory(dir=_fast_tmp()) as tmp:
        db = str(Path(tmp) / "stored.sqlite")
        store = Store(db)
        try:
            with _serving(db) as url:
                for size in LIST_SIZES:
                    print(f"  seeding {size:,} completions ...", flush=True)
                    _seed(store, store.count(), size)
                    print(f"  listing {size:,} ...", flush=True)
                    series[size] = _listing(url, size)
                    if size == 10_000:
                        memory = _memory(url)
        finally:
            store.close()
    return memory, series


# --- 7. how cost grows: streams and logprobs answers ---------------------------------------

STREAM_SIZES = (500, 5_000, 50_000)
LOGPROBS_SIZES = (200, 2_000, 20_000)


def stream_series() -> dict[int, Samples]:
    series = {}
    for chunks in STREAM_SIZES:
        print(f"  stream of {chunks:,} chunks ...", flush=True)
        calls = _stream_calls(chunks)
        contenders = {name: _calibrated(calls[name]) for name in ("completionkit", "openai")}
        samples = _rounds(contenders, ROUNDS if chunks < STREAM_SIZES[-1] else FEW_ROUNDS)
        series[chunks] = {name: [v / chunks for v in values] for name, values in samples.items()}
    return series


def logprobs_series() -> dict[int, Samples]:
    series = {}
    for tokens in LOGPROBS_SIZES:
        print(f"  logprobs answer of {tokens:,} tokens ...", flush=True)
        calls = _logprobs_calls(tokens)
        samples = _rounds(
            {name: _calibrated(call) for name, call in calls.items()},
            ROUNDS if tokens < LOGPROBS_SIZES[-1] else FEW_ROUNDS,
        )
        series[tokens] = {name: [v / tokens for v in values] for name, values in samples.items()}
    return series


# --- 7. what a long stream holds ---------------------------------------------------------------

HELD_CHUNKS = 50_000

# The mock transport hands out the body one event at a time, from a generator: the body
# itself is never in memory, so the peak is what the client keeps of the stream.
HELD = (
    EVENTS
    + """
import sys, tracemalloc
import httpx2

kind = sys.argv[1]
size = [20]  # a short stream first, to warm up
transport = httpx2.MockTransport(
    lambda r: httpx2.Response(200, content=events(size[0]), headers={"content-type": "text/event-stream"}))
http = httpx2.Client(transport=transport)
MESSAGES = [{"role": "user", "content": "Hello!"}]
if kind == "completionkit":
    from completionkit import OpenAI
    client = OpenAI(api_key="k", base_url="http://mock/v1", http_client=http)

    def stream():
        with client.chat.completions.stream(MESSAGES, model="m") as s:
            for _ in s:
                pass  # every chunk dropped as soon as it is read
            read = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0
            return read, s.final().choice.text
else:
    import openai
    client = openai.OpenAI(api_key="k", base_url="http://mock/v1", http_client=http)

    def stream():
        with client.chat.completions.stream(messages=MESSAGES, model="m") as s:
            for _ in s:
                pass
            read = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0
            return read, s.get_final_completion().choices[0].message.content

stream()  # imports, decoders and caches: not what the stream holds
size[0] = int(sys.argv[2])
tracemalloc.start()
baseline = tracemalloc.get_traced_memory()[0]
read, text = stream()
print(read - baseline, tracemalloc.get_traced_memory()[1] - baseline, len(text.encode()))
"""
)


def held_while_streaming() -> dict[str, tuple[int, int, int]]:
    """The peak memory traced while a 50,000-chunk stream is read, and the size of its text."""
    held = {}
    for kind in ("completionkit", "openai"):
        print(f"  {kind} ...", flush=True)
        out = subprocess.run([sys.executable, "-c", HELD, kind, str(HELD_CHUNKS)],
                             check=True, capture_output=True, text=True)  # fmt: skip
        read, peak, text = out.stdout.split()
        held[kind] = (int(read), int(peak), int(text))
    return held


# --- 8. bulk runs: bulk() against the loop users write by hand --------------------------------

BULK_REQUESTS = 20_000
BULK_LARGE = 100_000
BULK_CONCURRENCY = 64
# The server's request bucket holds 1,200 and refills at 20 a second: at this machine's
# pace it is empty some 3 s into a run, and the rest of 1,500 requests meet the limit (15 s
# a run). 20,000 requests at 20 a second would take 17 minutes a run. A request costs the
# server's token bucket 4 tokens: the requests limit is the one met.
LIMITED_REQUESTS = 1_500
LIMITS = ("--requests-per-minute", "1200", "--tokens-per-minute", "12000")

# One program for every bulk run, in a fresh interpreter, so that its peak RSS is the run's
# and nothing else's: completionkit's bulk(), or openai's AsyncOpenAI in the loop users
# write by hand. Both on the same connection pool, whose hooks note when the first request
# goes and count the 429s met. It prints the run's figures as a JSON line.
BULK = """
import asyncio, json, resource, sys, time
import httpx2

kind, url, requests, answers = sys.argv[1:5]
CONCURRENCY = int(sys.argv[5])


def peak():
    # The RSS high-water mark of this program so far. VmHWM, not getrusage()'s ru_maxrss:
    # that one keeps the high-water mark of the process before its exec, which is the
    # benchmark's own (a child made by fork or vfork counts its parent's pages).
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


async def main():
    seen = {"first": None, "429s": 0}

    async def on_request(request):
        seen["first"] = seen["first"] or time.perf_counter()

    async def on_response(response):
        seen["429s"] += response.status_code == 429

    http = httpx2.AsyncClient(
        limits=httpx2.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY),
        event_hooks={"request": [on_request], "response": [on_response]},
    )
    answered = 0
    if kind == "completionkit":
        from completionkit import AsyncOpenAI

        client = AsyncOpenAI(api_key="k", base_url=url, http_client=http)
        before = peak()
        start = time.perf_counter()
        run = client.chat.completions.bulk(
            requests, journal=answers, max_concurrency=CONCURRENCY, progress=False
        )
        async for outcome in run:
            answered += outcome.result is not None
    else:
        import openai

        # Retries enough for every request to get its answer, however many 429s it meets.
        client = openai.AsyncOpenAI(api_key="k", base_url=url, http_client=http, max_retries=1000)
        before = peak()
        start = time.perf_counter()
        with open(requests, encoding="utf-8") as file:
            lines = [json.loads(line) for line in file]
        gate = asyncio.Semaphore(CONCURRENCY)
        with open(answers, "w", encoding="utf-8") as out:

            async def one(request):
                nonlocal answered
                async with gate:
                    completion = await client.chat.completions.create(**request["body"])
                out.write(json.dumps({"custom_id": request["custom_id"], "response": completion.to_dict()}) + "\\n")
                answered += 1

            await asyncio.gather(*(one(request) for request in lines))
    seconds = time.perf_counter() - start
    first = seen["first"] - start if seen["first"] is not None else None
    await client.close()
    print(json.dumps({"answered": answered, "seconds": seconds, "first_sent": first, "peak": peak(),
                      "before": before, "rate_limited": seen["429s"]}))


asyncio.run(main())
"""


def _bulk_requests(path: Path, count: int) -> Path:
    """A JSONL file of ``count`` requests, lines of the Batch API's input: a longer file
    begins with the requests of a shorter one."""
    with path.open("w", encoding="utf-8") as file:
        for i in range(count):
            body = {
                "model": "gpt-4o-mini",
                "messages": [MESSAGES[0], {"role": "user", "content": f"Hello, {i}!"}],
            }
            file.write(json.dumps({"custom_id": f"request-{i}", "body": body}) + "\n")
    return path


def _bulk_run(kind: str, url: str, requests: Path, answers: Path, answered: int) -> dict[str, Any]:
    """One run of BULK, which must end with ``answered`` answers: ``answers`` is
    completionkit's journal (it resumes from what is there) or the file the hand-written
    loop writes."""
    out = subprocess.run([sys.executable, "-c", BULK, kind, url, str(requests), str(answers),
                          str(BULK_CONCURRENCY)], check=True, capture_output=True, text=True)  # fmt: skip
    figures: dict[str, Any] = json.loads(out.stdout)
    assert figures["answered"] == answered, figures
    return figures


def _bulk_versus(url: str, requests: Path, size: int, folder: Path) -> tuple[Samples, dict[str, Samples]]:
    """Requests a second of ``size`` requests, both clients, in rounds, and the RSS of
    the same runs: their "peak", and where it stood "before" the run began.  Each run
    starts from an empty journal (answers file); completionkit's last one is left in
    ``folder``."""
    runs: dict[str, list[dict[str, Any]]] = {"completionkit": [], "openai": []}

    def measure(kind: str) -> Callable[[], float]:
        def run() -> float:
            answers = folder / f"{kind}.jsonl"
            answers.unlink(missing_ok=True)
            figures = _bulk_run(kind, url, requests, answers, size)
            runs[kind].append(figures)
            return size / float(figures["seconds"])

        return run

    rates = _rounds({"completionkit": measure("completionkit"), "openai": measure("openai")}, FEW_ROUNDS)
    rss = {
        figure: {kind: [run[figure] for run in done] for kind, done in runs.items()}
        for figure in ("peak", "before")
    }
    return rates, rss


def _resume(url: str, requests: Path, size: int, journal: Path, folder: Path) -> Samples:
    """Seconds from bulk() to the end of a run whose every request ``journal`` has
    answered, and to the first request sent of a run with one request more, the last."""
    more = _bulk_requests(folder / "one-more.jsonl", size + 1)

    def measure(source: Path, new: int, figure: str) -> Callable[[], float]:
        def run() -> float:
            resumed = folder / "resumed.jsonl"
            shutil.copyfile(journal, resumed)
            return float(_bulk_run("completionkit", url, source, resumed, new)[figure])

        return run

    return _rounds({"all answered": measure(requests, 0, "seconds"), "one new": measure(more, 1, "first_sent")},
                   FEW_ROUNDS)  # fmt: skip


def bulk_runs(size: int = BULK_REQUESTS, large: int = BULK_LARGE) -> dict[str, Any]:
    """``size`` requests through both clients, resuming from the journal of ``size``
    answers that leaves, and the peak RSS of ``large`` requests through bulk()."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        requests = _bulk_requests(folder / "requests.jsonl", size)
        with _serving(str(folder / "bulk.sqlite")) as url:
            rates, rss = _bulk_versus(url, requests, size, folder)
            print(f"  resuming from {size:,} answers ...", flush=True)
            resume = _resume(url, requests, size, folder / "completionkit.jsonl", folder)
            print(f"  bulk, {large:,} requests ...", flush=True)
            many = _bulk_requests(folder / "many.jsonl", large)
            most = _bulk_run("completionkit", url, many, folder / "many-answers.jsonl", large)
    return {"size": size, "rates": rates, "rss": rss, "resume": resume, "large": most}


def rate_limited(size: int = LIMITED_REQUESTS) -> dict[str, dict[str, Any]]:
    """``size`` requests through both clients against a server that keeps LIMITS, a fresh
    one (its buckets full) for each: the figures of each run, the 429s met among them."""
    figures: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        requests = _bulk_requests(folder / "requests.jsonl", size)
        for kind in ("completionkit", "openai"):
            print(f"  {kind} ...", flush=True)
            with _serving(str(folder / f"{kind}.sqlite"), *LIMITS) as url:
                figures[kind] = _bulk_run(kind, url, requests, folder / f"{kind}.jsonl", size)
    return figures


# --- 9. the local server's writes ----------------------------------------------------------

# The four servers differ by a few per cent where they differ at all, on a machine whose
# noise is larger than that: many short rounds, never fewer than 21.
WRITES_ROUNDS = max(3 * ROUNDS, 21)
# The default model echoes it word by word: a stream of 32 events and [DONE].
WORDS_30 = [{"role": "user", "content": " ".join(f"word{i}" for i in range(30))}]
# name: (each event of a stream handed to uvicorn as a message of its own, write coalescing)
WRITERS = {
    "as it is": (False, False),
    "+ write coalescing": (False, True),
    "events one by one": (True, False),
    "events one by one + write coalescing": (True, True),
}


class _CoalescingTransport:
    """The write coalescing the local server had until its streams handed their events
    over together: what one turn of the loop writes leaves in one send (at most 64 KiB
    held), so that uvicorn's writes of a head, a body and each event of a stream make
    one TCP segment.  Closing or aborting sends what is held first."""

    def __init__(self, transport: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(bytes(data))
        self._size += len(data)
        if self._size >= 64 * 1024:
            self.flush()

    def flush(self) -> None:
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            self._size = 0
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self.flush()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _CountingTransport:
    """Counts the writes that reach the connection's own transport (a TCP segment each:
    asyncio and uvloop set TCP_NODELAY)."""

    def __init__(self, transport: Any, counts: dict[str, int]) -> None:
        self._transport = transport
        self._counts = counts

    def write(self, data: bytes) -> None:
        self._counts["writes"] += 1
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _writer_protocol(coalesce: bool, counts: dict[str, int] | None) -> type:
    """uvicorn's own HTTP protocol (httptools' when installed), on a coalescing transport
    if asked, on a counting one under it if asked."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    class Protocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: Any) -> None:
            if counts is not None:
                transport = _CountingTransport(transport, counts)
            if coalesce:
                transport = _CoalescingTransport(transport, asyncio.get_running_loop())
            super().connection_made(transport)

    return Protocol


class _EventByEvent:
    """The local server's application; with ``one_by_one``, each event of a stream goes to
    uvicorn as a message of its own, as the server sent them until it handed them over
    together (the other servers pass through the same wrapper, doing nothing)."""

    def __init__(self, app: Any, one_by_one: bool) -> None:
        self.app = app
        self.one_by_one = one_by_one

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not self.one_by_one:
            await self.app(scope, receive, send)
            return

        async def each(message: dict[str, Any]) -> None:
            body = message.get("body")
            # An answer in JSON never holds a raw b"\n\n": only a stream's events end so.
            if message["type"] != "http.response.body" or not body or b"\n\n" not in body:
                await send(message)
                return
            *events, rest = body.split(b"\n\n")
            for event in events:
                await send({"type": "http.response.body", "body": event + b"\n\n", "more_body": True})
            await send(
                {"type": "http.response.body", "body": rest, "more_body": message.get("more_body", False)}
            )

        await self.app(scope, receive, each)


@contextlib.contextmanager
def _writers(counts: dict[str, dict[str, int]] | None = None) -> Iterator[dict[str, str]]:
    """A local server of each of WRITERS, each in a thread of this process as
    LocalServer runs (its clients share the interpreter with it, as a test suite's do):
    their URLs, by name."""
    import threading

    from completionkit.testing._app import App
    from completionkit.testing._server import ServingServer, server_config
    from completionkit.testing._state import ServerState

    running = []
    urls: dict[str, str] = {}
    try:
        for name, (one_by_one, coalesce) in WRITERS.items():
            state = ServerState(api_key=None, db=None)
            config = server_config(_EventByEvent(App(state), one_by_one), host="127.0.0.1", port=0)  # type: ignore[arg-type]
            config.http = _writer_protocol(coalesce, None if counts is None else counts[name])
            server = ServingServer(config)
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            server.ready.wait()
            running.append((server, thread, state))
            urls[name] = f"http://127.0.0.1:{server.bound_port}/v1"
        yield urls
    finally:
        for server, thread, state in running:
            server.should_exit = True
            thread.join()
            state.store.close()


def _writes_calls(url: str) -> dict[str, Callable[[], tuple[int, float, float]]]:
    """Each workload of 9 against the server at ``url``.  A run makes its client, opens its
    connections with requests of its own kind, then makes its requests: it returns how
    many requests it made in all, and the time and the CPU time per request of the latter."""
    import httpx2

    from completionkit import AsyncOpenAI, OpenAI

    def sync(stream: bool, n: int) -> Callable[[], tuple[int, float, float]]:
        def run() -> tuple[int, float, float]:
            client = OpenAI(api_key="k", base_url=url)
            try:
                if stream:
                    one = lambda: client.chat.completions.create(WORDS_30, model="m", stream=True)  # noqa: E731
                else:
                    one = lambda: client.chat.completions.create(MESSAGES, model="m")  # noqa: E731
                one()
                start, start_cpu = time.perf_counter(), time.process_time()
                for _ in range(n):
                    one()
                return n + 1, (time.perf_counter() - start) / n, (time.process_time() - start_cpu) / n
            finally:
                client.close()

        return run

    def in_flight(stream: bool, n: int, at_once: int) -> Callable[[], tuple[int, float, float]]:
        async def main() -> tuple[int, float, float]:
            pool = httpx2.AsyncClient(
                limits=httpx2.Limits(max_connections=at_once, max_keepalive_connections=at_once)
            )
            client = AsyncOpenAI(api_key="k", base_url=url, http_client=pool)
            gate = asyncio.Semaphore(at_once)

            async def one() -> None:
                async with gate:
                    if stream:
                        await client.chat.completions.create(WORDS_30, model="m", stream=True)
                    else:
                        await client.chat.completions.create(MESSAGES, model="m")

            try:
                await asyncio.gather(*(one() for _ in range(at_once)))
                start, start_cpu = time.perf_counter(), time.process_time()
                await asyncio.gather(*(one() for _ in range(n)))
                return n + at_once, (time.perf_counter() - start) / n, (time.process_time() - start_cpu) / n
            finally:
                await client.close()

        return lambda: asyncio.run(main())

    return {
        "creates, one at a time (sync)": sync(False, 150),
        "32-event streams, one at a time (sync)": sync(True, 60),
        "creates, 50 in flight (async)": in_flight(False, 200, 50),
        "32-event streams, 25 in flight (async)": in_flight(True, 100, 25),
    }


@contextlib.contextmanager
def _counting_reads(counts: dict[str, int]) -> Iterator[None]:
    """Counts the reads of both clients' connections (httpcore2's, under httpx2)."""
    from httpcore2._backends.anyio import AnyIOStream
    from httpcore2._backends.sync import SyncStream

    sync_read, async_read = SyncStream.read, AnyIOStream.read

    def read(self: Any, max_bytes: int, timeout: float | None = None) -> bytes:
        counts["reads"] += 1
        return sync_read(self, max_bytes, timeout)

    async def aread(self: Any, max_bytes: int, timeout: float | None = None) -> bytes:
        counts["reads"] += 1
        return await async_read(self, max_bytes, timeout)

    SyncStream.read, AnyIOStream.read = read, aread  # type: ignore[method-assign]
    try:
        yield
    finally:
        SyncStream.read, AnyIOStream.read = sync_read, async_read  # type: ignore[method-assign]


def server_writes() -> dict[str, Any]:
    """Every workload of 9 on every server of WRITERS: the time and the CPU time (the
    client's and the server's: one process) per request, in rounds; then, in a run of each
    apart, the server's writes and the client's reads per request."""
    time_taken: dict[str, Samples] = {}
    cpu: dict[str, Samples] = {}
    with _writers() as urls:
        runs = {name: _writes_calls(url) for name, url in urls.items()}
        for workload in runs["as it is"]:
            cpu[workload] = {name: [] for name in urls}

            def measure(name: str, workload: str = workload) -> Callable[[], float]:
                def sample() -> float:
                    _, per_request, cpu_per_request = runs[name][workload]()
                    cpu[workload][name].append(cpu_per_request)
                    return per_request

                return sample

            time_taken[workload] = _rounds({name: measure(name) for name in urls}, WRITES_ROUNDS)
    counts: dict[str, dict[str, int]] = {name: {"writes": 0, "reads": 0} for name in WRITERS}
    per_request: dict[str, dict[str, tuple[float, float]]] = {}
    with _writers(counts) as urls:
        for workload in time_taken:
            per_request[workload] = {}
            for name, url in urls.items():
                counts[name].update(writes=0, reads=0)
                with _counting_reads(counts[name]):
                    made, _, _ = _writes_calls(url)[workload]()
                per_request[workload][name] = (counts[name]["writes"] / made, counts[name]["reads"] / made)
    return {"time": time_taken, "cpu": cpu, "counts": per_request}


# --- the report ----------------------------------------------------------------------------


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ms(v: float) -> str:
    return f"{v * 1000:.1f} ms"


def _us(v: float) -> str:
    return f"{v * 1e6:.2f} µs" if v < 1e-5 else f"{v * 1e6:.1f} µs"


def _kib(v: float) -> str:
    return f"{v / 1024:,.0f} KiB"


@dataclasses.dataclass(frozen=True)
class Row:
    """One workload of the table: its figures, its ratios and its targets."""

    name: str
    short: str
    """The name on the chart."""
    mine: str
    theirs: str
    floor: str = ""
    better: float | None = None
    """How many times better than openai completionkit is (faster, more requests, less memory)."""
    to_floor: float | None = None
    """completionkit's cost ÷ the floor's."""
    at_least: float | None = None
    """The target for ``better``."""
    at_most: float | None = None
    """The target for ``to_floor``."""
    label: str = ""
    """The target in words, when ``≥ N× openai`` would not say it well."""
    seconds: float | None = None
    """completionkit's time, where the target is a time of its own rather than a ratio."""
    under: float | None = None
    """The target for ``seconds``."""

    @property
    def target(self) -> str:
        targets = []
        if self.at_least is not None:
            targets.append(self.label or f"≥ {self.at_least:g}× openai")
        if self.at_most is not None:
            targets.append(f"≤ {self.at_most:g}× floor")
        if self.under is not None:
            targets.append(f"< {self.under:g} s")
        return "; ".join(targets) or "(reported)"

    @property
    def better_met(self) -> bool | None:
        return None if self.at_least is None else (self.better or 0) >= self.at_least

    @property
    def floor_met(self) -> bool | None:
        return None if self.at_most is None else (self.to_floor or math.inf) <= self.at_most

    @property
    def seconds_met(self) -> bool | None:
        return None if self.under is None else (self.seconds or math.inf) < self.under

    @property
    def met(self) -> bool | None:
        verdicts = [v for v in (self.better_met, self.floor_met, self.seconds_met) if v is not None]
        return all(verdicts) if verdicts else None

    def markdown(self) -> str:
        better = f"{self.better:.2f}×" if self.better is not None else ""
        to_floor = f"{self.to_floor:.2f}×" if self.to_floor is not None else ""
        met = {None: "", True: "met", False: "**not met**"}[self.met]
        return (
            f"| {self.name} | {self.mine} | {self.theirs} | {better} | {self.floor} | {to_floor} "
            f"| {self.target} | {met} |"
        )


def _rows(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    if "stream" in results:
        s = results["stream"]
        rows.append(Row("1. 500-chunk stream, per chunk, callback and full result", "1. stream, per chunk",
                        _us(_median(s, "completionkit")), _us(_median(s, "openai")), _us(_median(s, "floor")),
                        _ratio(s, "openai", "completionkit"), _ratio(s, "completionkit", "floor"), 40, 1.3))  # fmt: skip
    if "rps" in results:
        a, s = results["rps"]["async"], results["rps"]["sync"]
        rows.append(Row("2a. requests/s, local server, 100 in flight (async)", "2a. requests/s, 100 in flight",
                        f"{_median(a, 'completionkit'):.0f}/s", f"{_median(a, 'openai'):.0f}/s",
                        better=_ratio(a, "completionkit", "openai"), at_least=1.5))  # fmt: skip
        rows.append(Row("2b. requests/s, local server, one at a time (sync)", "2b. requests/s, sync",
                        f"{_median(s, 'completionkit'):.0f}/s", f"{_median(s, 'openai'):.0f}/s",
                        better=_ratio(s, "completionkit", "openai"), at_least=2.5))  # fmt: skip
    if "cold" in results:
        c = results["cold"]
        rows.append(Row("3. cold start to a first answer (fresh interpreter)", "3. cold start",
                        _ms(_median(c, "completionkit")), _ms(_median(c, "openai")), _ms(_median(c, "floor")),
                        _ratio(c, "openai", "completionkit"), _ratio(c, "completionkit", "floor"), 5, 1.2))  # fmt: skip
    if "create" in results:
        c = results["create"]
        rows.append(Row("4. one create, mock transport", "4. one create",
                        _us(_median(c, "completionkit")), _us(_median(c, "openai")), _us(_median(c, "floor")),
                        _ratio(c, "openai", "completionkit"), _ratio(c, "completionkit", "floor"), 5, 1.1))  # fmt: skip
    if "logprobs" in results:
        lp = results["logprobs"]
        rows.append(Row("5. a 2,000-token logprobs answer (top 5)", "5. 2,000-token logprobs",
                        _ms(_median(lp, "completionkit")), _ms(_median(lp, "openai")),
                        better=_ratio(lp, "openai", "completionkit"), at_least=40))  # fmt: skip
        rows.append(Row("5b. msgspec alone, the same body into the same types", "5b. logprobs, msgspec alone",
                        _ms(_median(lp, "msgspec")), _ms(_median(lp, "openai")),
                        better=_ratio(lp, "openai", "msgspec")))  # fmt: skip
    if "listing" in results:
        m = results["listing"][0]
        rows.append(Row("6. peak memory, 10,000 stored completions listed and kept", "6. peak memory, 10,000 listed",
                        f"{_median(m, 'completionkit') / 2**20:.1f} MiB", f"{_median(m, 'openai') / 2**20:.1f} MiB",
                        better=_ratio(m, "openai", "completionkit"), at_least=4, label="≤ ¼ of openai's"))  # fmt: skip
    if "bulk" in results:
        b = results["bulk"]
        rates, peaks, resume, size = b["rates"], b["rss"]["peak"], b["resume"], b["size"]
        rows.append(Row(f"8a. bulk: {size:,} requests, local server, {BULK_CONCURRENCY} in flight, requests/s",
                        "8a. bulk, requests/s", f"{_median(rates, 'completionkit'):.0f}/s",
                        f"{_median(rates, 'openai'):.0f}/s", better=_ratio(rates, "completionkit", "openai"),
                        at_least=1.5))  # fmt: skip
        rows.append(Row("8b. bulk: peak memory (RSS) of those runs", "8b. bulk, peak memory",
                        f"{_median(peaks, 'completionkit') / 2**20:.1f} MiB", f"{_median(peaks, 'openai') / 2**20:.1f} MiB",
                        better=_ratio(peaks, "openai", "completionkit"), at_least=3, label="≤ ⅓ of openai's"))  # fmt: skip
        rows.append(Row(f"8c. resuming from a {size:,}-line journal, all answered: bulk() to the end",
                        "8c. resume, all answered", f"{_median(resume, 'all answered'):.2f} s", "",
                        seconds=_median(resume, "all answered"), under=1))  # fmt: skip
        rows.append(Row("8d. the same, one request more: bulk() to its sending", "8d. resume, one new",
                        f"{_median(resume, 'one new'):.2f} s", "", seconds=_median(resume, "one new"), under=1))  # fmt: skip
        rows.append(Row(f"8e. bulk: peak memory (RSS), {b['large']['answered']:,} requests", "8e. bulk, peak memory, large",
                        f"{b['large']['peak'] / 2**20:.1f} MiB", ""))  # fmt: skip
    if "limited" in results:
        limited = results["limited"]
        rows.append(Row(f"8f. the server's rate limit on, {limited['openai']['answered']:,} requests: 429s met",
                        "8f. 429s met", f"{limited['completionkit']['rate_limited']:,}",
                        f"{limited['openai']['rate_limited']:,}"))  # fmt: skip
    return rows


def _series(results: dict[str, Any]) -> dict[str, tuple[str, dict[int, Samples]]]:
    """The growth series there are: title -> (what an item is, size -> samples)."""
    series = {}
    if "growth" in results:
        series["stream length"] = ("chunk", results["growth"][0])
        series["logprobs answer size"] = ("token", results["growth"][1])
    if "listing" in results:
        series["stored completions listed"] = ("completion", results["listing"][1])
    return series


def _mib(v: float) -> str:
    return f"{v / 2**20:.1f} MiB"


def _bulk_lines(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if "bulk" in results:
        b = results["bulk"]
        peak, before, large = b["rss"]["peak"], b["rss"]["before"], b["large"]
        lines += [
            "The peak memory of the bulk runs (8b, 8e) is the RSS high-water mark of the fresh "
            "interpreter that runs the job, imports included. Before the run began (the "
            f"interpreter, the imports, the client made) it stood at {_mib(_median(before, 'completionkit'))} "
            f"for completionkit and {_mib(_median(before, 'openai'))} for openai: the {b['size']:,} requests "
            f"added {_mib(_median(peak, 'completionkit') - _median(before, 'completionkit'))} and "
            f"{_mib(_median(peak, 'openai') - _median(before, 'openai'))}. bulk()'s peak is "
            f"{_mib(_median(peak, 'completionkit'))} for {b['size']:,} requests and {_mib(large['peak'])} for "
            f"{large['answered']:,} ({_mib(large['peak'] - large['before'])} over where it began), at "
            f"{large['answered'] / large['seconds']:.0f} requests/s.",
            "",
        ]
    if "limited" in results:
        ck, oa = results["limited"]["completionkit"], results["limited"]["openai"]
        lines += [
            f"With the server's rate limits on (8f), completionkit's run took {ck['seconds']:.1f} s and met "
            f"{ck['rate_limited']:,} 429s: bulk() keeps to the budget the `x-ratelimit-*` headers tell, "
            f"and a 429 pauses the whole run. openai's took {oa['seconds']:.1f} s and met "
            f"{oa['rate_limited']:,}: each of its {BULK_CONCURRENCY} requests in flight waits out its own "
            "429's `retry-after` and tries again on its own. The limit, not the client, sets the pace of both.",
            "",
        ]
    return lines


def _writes_lines(results: dict[str, Any]) -> list[str]:
    if "writes" not in results:
        return []
    w = results["writes"]

    def per_request(v: float) -> str:
        return f"{v * 1e6:,.0f} µs"

    def to_as_it_is(samples: Samples, name: str) -> str:
        return "" if name == "as it is" else f"{_ratio(samples, name, 'as it is'):.2f}×"

    def spread(over: str, under: str) -> str:
        ratios = [
            _ratio(w[kind][workload], over, under) for workload in w["time"] for kind in ("time", "cpu")
        ]
        return f"{min(ratios):.2f}× to {max(ratios):.2f}×"

    lines = [
        "## The local server's writes",
        "",
        "Workload 9: the local server four ways (see Workloads), each figure the median of "
        f"{WRITES_ROUNDS} rounds, each ratio the median of the per-round ratios to the server as it is.",
        "",
        "| workload | server | time per request | ÷ as it is | CPU time per request | ÷ as it is "
        "| server writes per request | client reads per request |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for workload, samples in w["time"].items():
        cpu = w["cpu"][workload]
        for name in WRITERS:
            writes, reads = w["counts"][workload][name]
            lines.append(
                f"| {workload if name == 'as it is' else ''} | {name} | {per_request(_median(samples, name))} "
                f"| {to_as_it_is(samples, name)} | {per_request(_median(cpu, name))} | {to_as_it_is(cpu, name)} "
                f"| {writes:.2f} | {reads:.2f} |"
            )
    lines += [
        "",
        "Over the four workloads, time and CPU time: write coalescing takes the server as it is "
        f"{spread('+ write coalescing', 'as it is')} as long; on a server handing uvicorn a stream's "
        f"events one by one, {spread('events one by one + write coalescing', 'events one by one')}. "
        "The server as it is takes "
        f"{spread('as it is', 'events one by one + write coalescing')} as long as the one with both "
        "(events one by one and write coalescing, as the local server was before it handed a "
        "stream's events over together).",
        "",
    ]
    return lines


def _growth_lines(results: dict[str, Any]) -> list[str]:
    series = _series(results)
    if not series:
        return []
    lines = [
        "## How cost grows",
        "",
        "The cost of one item (chunk, token, listed completion) at three sizes, ten times apart; "
        f"each figure is the median of {ROUNDS} rounds, {FEW_ROUNDS} at the largest size. "
        "Flat is what we want: growth is the cost of an item at the largest size ÷ at the smallest.",
        "",
        "| series | size | completionkit, per item | openai, per item | openai ÷ completionkit |",
        "|---|---|---|---|---|",
    ]
    summary = []
    for title, (item, by_size) in series.items():
        for size, s in by_size.items():
            lines.append(f"| {title} | {size:,} {item}s | {_us(_median(s, 'completionkit'))} "
                         f"| {_us(_median(s, 'openai'))} | {_ratio(s, 'openai', 'completionkit'):.1f}× |")  # fmt: skip
        small, large = by_size[min(by_size)], by_size[max(by_size)]
        growth = {k: _median(large, k) / _median(small, k) for k in small}
        alone = f" (msgspec alone: {growth['msgspec']:.2f}×)" if "msgspec" in growth else ""
        summary.append(
            f"- {title}: completionkit {growth['completionkit']:.2f}×, openai {growth['openai']:.2f}×{alone}"
        )
    lines += ["", "Growth, per-item cost at the largest size ÷ at the smallest:", "", *summary, ""]
    if "held" in results:
        held = results["held"]
        lines += [
            f"What a stream of {HELD_CHUNKS:,} chunks holds: the memory traced (tracemalloc, in a "
            "fresh interpreter) once every chunk has been read, none kept, minus what was traced "
            "before it began; then the peak of the whole stream, the final result included (a "
            "growing buffer is traced twice while it is copied to a larger one, and the result "
            "holds the text as a str too). The mock transport hands out the body one event at "
            "a time from a generator, so the body itself is never held. The text is the final "
            "answer's, in UTF-8.",
            "",
        ]
        for kind, (read, peak, text) in held.items():
            lines.append(
                f"- {kind}: held once the chunks are read: {_kib(read)} ({read / text:.2f}× the text); "
                f"with the final result: {_kib(peak)} ({peak / text:.1f}×); text {_kib(text)}"
            )
        lines.append("")
    return lines


def _chart(rows: list[Row], results: dict[str, Any]) -> None:
    """bench/benchmarks.svg: the ratios against their targets, and the growth series."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "completionkit-bench"  # stable ids from run to run
    import matplotlib.pyplot as plt

    series = _series(results)
    figure = plt.figure(figsize=(13, 9), layout="constrained")
    grid = figure.add_gridspec(2, max(len(series), 2), height_ratios=[1.1, 1])
    top = figure.add_subfigure(grid[0, :]).subplots(1, 2, width_ratios=[1.4, 1])

    def bars(axis: Any, items: list[tuple[str, float, float | None, bool | None]], title: str) -> None:
        """One bar a ratio, green where it meets its target (the black tick), red where not."""
        y = list(range(len(items)))
        colors = [{None: "#9e9e9e", True: "#2e7d32", False: "#c62828"}[met] for *_, met in items]
        axis.barh(y, [value for _, value, _, _ in items], color=colors)
        for i, (_, value, target, _) in enumerate(items):
            axis.annotate(f"{value:.2f}×", (value, i), xytext=(3, 0), textcoords="offset points",
                          va="center", fontsize=8)  # fmt: skip
            if target is not None:
                axis.plot([target, target], [i - 0.45, i + 0.45], color="black", linewidth=2)
        axis.set_yticks(y, [name for name, *_ in items], fontsize=8)
        axis.invert_yaxis()
        axis.set_title(title, fontsize=10)
        axis.margins(x=0.15)

    bars(top[0], [(r.short, r.better, r.at_least, r.better_met) for r in rows if r.better is not None],
         "× better than openai (higher is better; black: the target)")  # fmt: skip
    top[0].set_xscale("log")
    top[0].set_xlim(left=1)
    bars(top[1], [(r.short, r.to_floor, r.at_most, r.floor_met) for r in rows if r.to_floor is not None],
         "completionkit ÷ the floor (lower is better)")  # fmt: skip
    top[1].set_xlim(left=0)
    for i, (title, (item, by_size)) in enumerate(series.items()):
        axis = figure.add_subplot(grid[1, i])
        sizes = sorted(by_size)
        for kind, color in (("completionkit", "#1565c0"), ("openai", "#ef6c00")):
            axis.plot(sizes, [_median(by_size[n], kind) * 1e6 for n in sizes], "o-", color=color, label=kind)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_title(f"{title}: cost per {item}", fontsize=10)
        axis.set_xlabel(f"{item}s", fontsize=8)
        axis.set_ylabel("µs per item", fontsize=8)
        axis.legend(fontsize=8)
    figure.savefig(CHART, format="svg", metadata={"Date": None})
    plt.close(figure)


WORKLOAD_NOTES = [
    "**1. Stream.** A 500-chunk answer on the mock transport, read whole: completionkit's "
    '`create(MESSAGES, model="m", stream=True, on_data=callback)` (every chunk decoded and handed '
    "to the callback, the full result returned), openai's `with client.chat.completions.stream(...) "
    "as s: s.get_final_completion()`, and the floor: httpx2's `stream()` and `iter_lines()`, "
    "`json.loads` of every event, the same callback, the text joined and the final message built. "
    "Cost per chunk.",
    "**2. Requests per second** against the embedded server (`python -m completionkit.testing`, "
    "another process on 127.0.0.1, so both clients meet the same server on the same two cores): "
    "1,000 requests with 100 in flight on `AsyncOpenAI` (a pool of 100 connections), and 300 "
    "one after another on `OpenAI`.",
    "**3. Cold start**: a fresh `python -c` that imports the client, makes it and gets one answer "
    "from the mock transport; the floor does it with httpx2 and `json`. Paired rounds: each round "
    "runs completionkit, the floor and openai back to back; the ratios are the medians of the "
    "per-round ratios.",
    "**4. One create** on the mock transport, a small answer; the floor is httpx2's "
    "`client.post(url, json=body, headers=...)` and `json.loads(r.content)`. Each sample lasts at "
    "least 0.2 s.",
    "**5. A 2,000-token logprobs answer** (5 top logprobs a token, 1 MiB of JSON) decoded to the "
    "last top logprob; and msgspec alone decoding the same body into the same types (5b), with "
    "nothing else of a client around it. Neither touches the garbage collector's settings.",
    "**6. Peak memory**: 10,000 stored completions listed (100 a page) and kept, in a fresh "
    "interpreter; the peak traced by `tracemalloc`.",
    "**7. How cost grows** (the section below): streams of 500, 5,000 and 50,000 chunks "
    "(as in 1: the mock transport hands the body over in one piece), logprobs answers of 200, 2,000 and 20,000 tokens (as in 5), and listing 1,000, "
    "10,000 and 100,000 stored completions from the embedded server without keeping them; and "
    "what a 50,000-chunk stream holds while it is read.",
    f"**8. Bulk runs** against the embedded server (another process, as in 2): a JSONL file of "
    f"{BULK_REQUESTS:,} requests (lines of the Batch API's input) through completionkit's "
    f"`AsyncOpenAI.chat.completions.bulk(path, journal=..., max_concurrency={BULK_CONCURRENCY}, "
    "progress=False)`, and through the official `AsyncOpenAI` in the loop users write by hand: the "
    "file read into a list, `asyncio.gather` of a coroutine a request, each `create` under an "
    f"`asyncio.Semaphore({BULK_CONCURRENCY})`, each answer written to a JSONL file as it comes "
    f"(`json.dumps` of its `to_dict()`). Both on pools of {BULK_CONCURRENCY} connections; each run "
    f"in a fresh interpreter, {FEW_ROUNDS} rounds, requests/s and peak RSS from the same runs. "
    f"Resuming (8c, 8d): `bulk()` again on the journal of {BULK_REQUESTS:,} answers one of those "
    "runs left, with the same file (nothing to send: the time to the run's end) and with the file "
    "and one request more at its end (the time until that request goes); both times include reading "
    f"and checking the whole input and the journal. 8e: {BULK_LARGE:,} requests through `bulk()`, "
    f"one run. 8f: {LIMITED_REQUESTS:,} requests, one run a client, each against a fresh server "
    f"started with `{' '.join(LIMITS)}`, its buckets full: the requests bucket is empty some 3 s in, "
    f"and the rest meet the limit ({BULK_REQUESTS:,} requests at 20 a second would take 17 minutes); "
    "openai's `max_retries` is 1,000, so that no request fails for want of retries; the 429s are "
    "counted by an httpx2 response hook on each client's pool.",
    "**9. The local server's writes**: the local server in a thread of the benchmark's process, "
    "as `LocalServer` runs (its client shares the interpreter with it, as a test suite's does), "
    "four ways: as it is (uvicorn's own HTTP protocol, a stream's ready events handed to uvicorn "
    "in one message); with write coalescing (a transport under uvicorn's protocol that sends what "
    "one turn of the loop writes in one send: an answer's head and body in one TCP segment, a "
    "stream's events too); handing uvicorn each event of a stream as a message of its own, which "
    "uvicorn writes apart; and both. completionkit's clients: 150 creates and 60 streams of 32 "
    "events one at a time (sync); 200 creates with 50 in flight and 100 streams with 25 in flight "
    "(async); each run after requests of its own kind that open its connections. The time and the "
    "CPU time (of the process: client and server) per request. Writes are those that reach the "
    "connection's transport (a TCP segment each: asyncio and uvloop set TCP_NODELAY), reads those "
    "of the client's connections, counted in a run apart, connection-opening requests included.",
]


def _report(results: dict[str, Any]) -> str:
    rows = _rows(results)
    lines = [
        "# Benchmarks",
        "",
        "completionkit against the official `openai` package, measured side by side in one run of "
        "`nox -s bench` (bench/run.py). Each workload runs in rounds, every contender once a round "
        f"in a rotating order; each figure is the median of {ROUNDS} rounds ({PAIRED_ROUNDS} for "
        "the workloads with a floor), and each ratio the median of the per-round ratios. "
        '"× openai" is how many times better completionkit does (faster, more requests a '
        "second, less memory); \"÷ floor\" is completionkit's cost over the floor's, the floor "
        "being the same job done with plain httpx2 and `json`. Clients run on httpx2's mock "
        "transport unless the workload says otherwise.",
        "",
        "![ratios against their targets, and how cost grows](bench/benchmarks.svg)",
        "",
        "| workload | completionkit | openai | × openai | floor | ÷ floor | target | |",
        "|---|---|---|---|---|---|---|---|",
        *(row.markdown() for row in rows),
        "",
    ]
    if "logprobs" in results:
        lp = results["logprobs"]
        lines += [
            "The logprobs answer (workload 5) decodes into some 24,000 lists and 12,000 objects. "
            f"completionkit takes {_ratio(lp, 'completionkit', 'msgspec'):.2f}× as long as msgspec "
            "decoding the body into the same types by itself (5b): a client that hands over every "
            "token as an object cannot be much more than "
            f"{_ratio(lp, 'openai', 'msgspec'):.0f}× openai on this machine.",
            "",
        ]
    lines += _bulk_lines(results)
    lines += _growth_lines(results)
    lines += _writes_lines(results)
    lines += ["## Workloads", "", *(f"- {note}" for note in WORKLOAD_NOTES), ""]
    if "cold" in results:
        c = results["cold"]
        lines += [
            "The cold start's floor with msgspec imported too (the floor's job, then `import msgspec`) "
            f"takes {_ratio(c, 'floor + msgspec', 'floor'):.2f}× the floor: that much of the target "
            "goes to msgspec (and the `uuid`, `platform` and `decimal` it imports) before any of "
            f"completionkit runs. The floor's job with the generated models imported too and the "
            "answer decoded into them (`ChatCompletion`, without the facade) takes "
            f"{_ratio(c, 'floor + generated types', 'floor'):.2f}× the floor: what any client of "
            "these types pays before it checks a request, builds a result or maps an error. "
            f"completionkit takes {_ratio(c, 'completionkit', 'floor + msgspec'):.2f}× "
            f"the floor with msgspec, {_ratio(c, 'completionkit', 'floor + generated types'):.2f}× "
            "the floor with the generated types.",
            "",
            "Where a cold start's import time goes: `python -X importtime -c 'import completionkit'`, "
            "self time summed by top-level package (the floor pays for httpx2 too): "
            + ", ".join(f"{name} {ms:.1f} ms" for name, ms in import_profile())
            + ".",
            "",
        ]
    lines += [
        "## Machine and versions of this run",
        "",
        f"- {_cpu()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; a shared "
        "machine whose timings vary from run to run by several per cent",
        f"- Python {platform.python_version()}; completionkit {_version('completionkit')}, "
        f"openai {_version('openai')}, httpx2 {_version('httpx2')}, "
        f"msgspec {_version('msgspec')}, pydantic {_version('pydantic')}",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    unknown = ONLY - set(WORKLOADS)
    if unknown:
        sys.exit(f"BENCH_ONLY: no workload {', '.join(sorted(unknown))} (there are {', '.join(WORKLOADS)})")
    steps: dict[str, Callable[[], Any]] = {
        "stream": stream_per_chunk,
        "rps": requests_per_second,
        "cold": cold_start,
        "create": request_overhead,
        "logprobs": logprobs_decode,
        "listing": stored_completions,
        "growth": lambda: (stream_series(), logprobs_series()),
        "held": held_while_streaming,
        "bulk": bulk_runs,
        "limited": rate_limited,
        "writes": server_writes,
    }
    results: dict[str, Any] = {}
    began = time.perf_counter()
    for name in WORKLOADS:
        if ONLY and name not in ONLY:
            continue
        print(f"{name} ... ({time.perf_counter() - began:.0f} s)", flush=True)
        results[name] = steps[name]()
    print(f"done in {time.perf_counter() - began:.0f} s", flush=True)
    report = _report(results)
    if not ONLY:  # BENCHMARKS.md and its chart come from one whole run
        _chart(_rows(results), results)
        OUT.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
