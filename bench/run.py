"""completionkit against the official openai package, side by side: ``nox -s bench``.

Every workload runs both clients (and, where there is one, the floor: the same job done
with plain httpx2 and ``json``) in the same run, alternating them round after round, and
reports the median of the rounds and the ratios.  The table goes to BENCHMARKS.md.
Nothing here is a test: no number is asserted.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "BENCHMARKS.md"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))

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


def _stream_body(chunks: int = 500) -> bytes:
    head = {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_bench",
    }
    events = [
        {
            **head,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
        }
    ]
    events += [
        {**head, "choices": [{"index": 0, "delta": {"content": f" w{i}"}, "finish_reason": None}]}
        for i in range(chunks - 2)
    ]
    events.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"


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


def floor(body: bytes) -> Any:
    import httpx2

    transport = httpx2.MockTransport(
        lambda r: httpx2.Response(200, content=body, headers={"content-type": "application/json"})
    )
    return httpx2.Client(transport=transport)


# --- measuring -----------------------------------------------------------------------------


def _alternate(contenders: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Run each contender once per round, in turn, and keep the median of its rounds."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(ROUNDS):
        for name, measure in contenders.items():
            gc.collect()
            samples[name].append(measure())
    return {name: statistics.median(values) for name, values in samples.items()}


def _per_call(call: Callable[[], object], n: int) -> Callable[[], float]:
    def measure() -> float:
        start = time.perf_counter()
        for _ in range(n):
            call()
        return (time.perf_counter() - start) / n

    return measure


COLD = {
    "completionkit": """
        import httpx2
        from completionkit import OpenAI
        t = httpx2.MockTransport(lambda r: httpx2.Response(200, content=BODY, headers={"content-type": "application/json"}))
        c = OpenAI(api_key="k", base_url="http://mock/v1", http_client=httpx2.Client(transport=t))
        assert c.chat.completions.create(MESSAGES, model="m").choice.text
    """,
    "openai": """
        import httpx2, openai
        t = httpx2.MockTransport(lambda r: httpx2.Response(200, content=BODY, headers={"content-type": "application/json"}))
        c = openai.OpenAI(api_key="k", base_url="http://mock/v1", http_client=httpx2.Client(transport=t))
        assert c.chat.completions.create(messages=MESSAGES, model="m").choices[0].message.content
    """,
    "floor": """
        import httpx2, json
        t = httpx2.MockTransport(lambda r: httpx2.Response(200, content=BODY, headers={"content-type": "application/json"}))
        c = httpx2.Client(transport=t)
        r = c.post("http://mock/v1/chat/completions", json={"model": "m", "messages": MESSAGES},
                   headers={"Authorization": "Bearer k"})
        assert json.loads(r.content)["choices"][0]["message"]["content"]
    """,
}


def cold_start() -> dict[str, float]:
    def run(source: str) -> Callable[[], float]:
        program = f"BODY = {COMPLETION_BODY!r}\nMESSAGES = {MESSAGES!r}\n" + textwrap.dedent(source)

        def measure() -> float:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", program], check=True)
            return time.perf_counter() - start

        return measure

    for source in COLD.values():  # warm the .pyc caches of every package first
        run(source)()
    return _alternate({name: run(source) for name, source in COLD.items()})


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


def request_overhead() -> dict[str, float]:
    mine, theirs, plain = ours(COMPLETION_BODY), official(COMPLETION_BODY), floor(COMPLETION_BODY)
    body = {"model": "gpt-4o-mini", "messages": MESSAGES}
    return _alternate(
        {
            "completionkit": _per_call(
                lambda: mine.chat.completions.create(MESSAGES, model="gpt-4o-mini"), 2000
            ),
            "openai": _per_call(
                lambda: theirs.chat.completions.create(messages=MESSAGES, model="gpt-4o-mini"), 2000
            ),
            "floor": _per_call(
                lambda: json.loads(
                    plain.post(
                        "http://mock/v1/chat/completions", json=body, headers={"Authorization": "Bearer k"}
                    ).content
                ),
                2000,
            ),
        }
    )


def stream_per_chunk() -> dict[str, float]:
    body = _stream_body(500)
    mine, theirs = ours(body, "text/event-stream"), official(body, "text/event-stream")

    def ours_stream() -> object:
        return mine.chat.completions.create(MESSAGES, model="m", stream=True)  # the whole result, streamed

    def openai_stream() -> object:
        with theirs.chat.completions.stream(messages=MESSAGES, model="m") as stream:
            return stream.get_final_completion()

    results = _alternate(
        {"completionkit": _per_call(ours_stream, 20), "openai": _per_call(openai_stream, 20)}
    )
    return {name: value / 500 for name, value in results.items()}


def logprobs_decode() -> dict[str, float]:
    body = _logprobs_body()
    mine, theirs = ours(body), official(body)

    def ours_decode() -> object:
        result = mine.chat.completions.create(MESSAGES, model="m")
        return result.choice.logprobs.content[-1].top_logprobs[-1].logprob

    def openai_decode() -> object:
        result = theirs.chat.completions.create(messages=MESSAGES, model="m")
        return result.choices[0].logprobs.content[-1].top_logprobs[-1].logprob

    return _alternate({"completionkit": _per_call(ours_decode, 10), "openai": _per_call(openai_decode, 10)})


def _server(db: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "completionkit.testing", "--port", "0", "--db", db],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # the server says where it listens once it does
    return process, line.rsplit(" ", 1)[1].strip()


def requests_per_second() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        process, url = _server(str(Path(tmp) / "rps.sqlite"))
        try:
            return _rps(url)
        finally:
            process.terminate()
            process.wait()


def _rps(url: str) -> dict[str, float]:
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
            if kind == "completionkit":
                client: Any = AsyncOpenAI(
                    api_key="k",
                    base_url=url,
                    http_client=httpx2.AsyncClient(
                        limits=httpx2.Limits(max_connections=100, max_keepalive_connections=100)
                    ),
                )
                create = lambda: client.chat.completions.create(MESSAGES, model="m")  # noqa: E731
            else:
                client = openai.AsyncOpenAI(
                    api_key="k",
                    base_url=url,
                    http_client=httpx2.AsyncClient(
                        limits=httpx2.Limits(max_connections=100, max_keepalive_connections=100)
                    ),
                )
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

    sync = _alternate(
        {
            "completionkit": sync_rate(lambda: mine.chat.completions.create(MESSAGES, model="m")),
            "openai": sync_rate(lambda: theirs.chat.completions.create(messages=MESSAGES, model="m")),
        }
    )
    in_flight = _alternate({"completionkit": async_rate("completionkit"), "openai": async_rate("openai")})
    return {
        "sync completionkit": sync["completionkit"],
        "sync openai": sync["openai"],
        "async completionkit": in_flight["completionkit"],
        "async openai": in_flight["openai"],
    }


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


def peak_memory() -> dict[str, float]:
    from completionkit.testing._model import Reply, build_completion
    from completionkit.testing._store import Store

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "memory.sqlite")
        store = Store(db)
        request = {"model": "gpt-4o-mini", "messages": MESSAGES}
        for i in range(10_000):
            completion = build_completion(
                request,
                Reply.text(f"Stored answer number {i}, with a few words."),
                f"chatcmpl-{i:08d}",
                1727346169 + i,
            )
            store.add({**completion, "metadata": {"n": str(i)}}, {"n": str(i)}, [])
        store.close()
        process, url = _server(db)
        try:

            def measure(kind: str) -> Callable[[], float]:
                def run() -> float:
                    out = subprocess.run(
                        [sys.executable, "-c", MEMORY, kind, url], check=True, capture_output=True, text=True
                    )
                    return float(out.stdout.strip())

                return run

            return _alternate({"completionkit": measure("completionkit"), "openai": measure("openai")})
        finally:
            process.terminate()
            process.wait()


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


def main() -> None:
    print("cold start ...", flush=True)
    cold = cold_start()
    print("request overhead ...", flush=True)
    overhead = request_overhead()
    print("requests per second ...", flush=True)
    rps = requests_per_second()
    print("stream ...", flush=True)
    stream = stream_per_chunk()
    print("logprobs ...", flush=True)
    logprobs = logprobs_decode()
    print("memory ...", flush=True)
    memory = peak_memory()

    def ms(v: float) -> str:
        return f"{v * 1000:.1f} ms"

    def us(v: float) -> str:
        return f"{v * 1e6:.1f} µs"

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    rows = [
        (
            "1. cold start (fresh interpreter, one answer)",
            ms(cold["completionkit"]),
            ms(cold["openai"]),
            cold["openai"] / cold["completionkit"],
            ms(cold["floor"]),
            cold["completionkit"] / cold["floor"],
            "≥ 4× faster; ≤ 1.3× floor",
            verdict(
                cold["openai"] / cold["completionkit"] >= 4 and cold["completionkit"] / cold["floor"] <= 1.3
            ),
        ),
        (
            "2. one create, mock transport",
            us(overhead["completionkit"]),
            us(overhead["openai"]),
            overhead["openai"] / overhead["completionkit"],
            us(overhead["floor"]),
            overhead["completionkit"] / overhead["floor"],
            "≥ 4× smaller; ≤ 1.5× floor",
            verdict(
                overhead["openai"] / overhead["completionkit"] >= 4
                and overhead["completionkit"] / overhead["floor"] <= 1.5
            ),
        ),
        (
            "3a. requests/s, embedded server, sync",
            f"{rps['sync completionkit']:.0f}/s",
            f"{rps['sync openai']:.0f}/s",
            rps["sync completionkit"] / rps["sync openai"],
            "",
            None,
            "(reported)",
            "",
        ),
        (
            "3b. requests/s, embedded server, async, 100 in flight",
            f"{rps['async completionkit']:.0f}/s",
            f"{rps['async openai']:.0f}/s",
            rps["async completionkit"] / rps["async openai"],
            "",
            None,
            "(reported)",
            "",
        ),
        (
            "4. 500-chunk stream, per chunk",
            us(stream["completionkit"]),
            us(stream["openai"]),
            stream["openai"] / stream["completionkit"],
            "",
            None,
            "≥ 8× smaller",
            verdict(stream["openai"] / stream["completionkit"] >= 8),
        ),
        (
            "5. decode 2,000 tokens of logprobs, top 5",
            ms(logprobs["completionkit"]),
            ms(logprobs["openai"]),
            logprobs["openai"] / logprobs["completionkit"],
            "",
            None,
            "≥ 20× faster",
            verdict(logprobs["openai"] / logprobs["completionkit"] >= 20),
        ),
        (
            "6. peak memory, 10,000 stored completions listed",
            f"{memory['completionkit'] / 2**20:.1f} MiB",
            f"{memory['openai'] / 2**20:.1f} MiB",
            memory["openai"] / memory["completionkit"],
            "",
            None,
            "≤ ⅓",
            verdict(memory["completionkit"] * 3 <= memory["openai"]),
        ),
    ]
    lines = [
        "# Benchmarks",
        "",
        "completionkit against the official `openai` package, measured side by side in one run of "
        "`nox -s bench` (bench/run.py), alternating the clients round after round; each figure is the "
        f"median of {ROUNDS} rounds. Ratios are openai ÷ completionkit (higher is better for us), and "
        "completionkit ÷ floor, the floor being the same job done with plain httpx2 and `json`. Both "
        "clients run on httpx2's mock transport.",
        "",
        "| workload | completionkit | openai | ratio | floor | ÷ floor | target | |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, mine, theirs, ratio, floor_value, to_floor, target, met in rows:
        floor_ratio = f"{to_floor:.2f}×" if to_floor is not None else ""
        lines.append(
            f"| {name} | {mine} | {theirs} | {ratio:.1f}× | {floor_value} | {floor_ratio} | {target} | {met} |"
        )
    lines += [
        "",
        "Machine and versions of this run:",
        "",
        f"- {_cpu()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; completionkit {_version('completionkit')}, "
        f"openai {_version('openai')}, httpx2 {_version('httpx2')}, "
        f"msgspec {_version('msgspec')}, pydantic {_version('pydantic')}",
        "",
        "Notes:",
        "",
        "- Workload 3 runs the embedded server (`python -m completionkit.testing`) in another process "
        "on 127.0.0.1, so both clients meet the same server, on the same two cores.",
        "- Workload 3b: 100 requests in flight. Both clients run on httpx2, whose connection pool "
        "does not rescan every connection for every queued request as httpx 0.28's did (that pool "
        "made completionkit 0.4× the official package here before it moved to httpx2).",
        "- Workload 5: a 2,000-token logprobs answer decodes into some 24,000 lists and 12,000 "
        "objects. completionkit's generated Structs are not tracked by the garbage collector, and the "
        "collector is paused while a body over 256 KiB decodes (decoded JSON holds no cycles); "
        "without that, the collector's passes took two thirds of the decoding time.",
        "- Workload 6 keeps every listed completion alive and reports the peak traced by "
        "`tracemalloc` in a fresh interpreter.",
        "- Workload 1, where the time goes: `python -X importtime -c 'import completionkit'`, self "
        "time summed by top-level package (the floor pays for httpx2 too; completionkit adds msgspec "
        "and itself): " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in import_profile()) + ". "
        "Most of both cold starts is importing httpx2. What completionkit adds is msgspec "
        "and its own modules, the generated models first (generation leaves the descriptions out of "
        "their `msgspec.Meta`, which halved their import); the margin to the 1.3× target is a few "
        "milliseconds, close to the run-to-run noise of this shared two-core machine.",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
