"""A bulk run in a process of its own, for the tests that kill it or interrupt it:

    python -m tests.bulk.bulk_child BASE_URL JOURNAL COUNT CONCURRENCY

It prints each answered custom_id as it comes (flushed), then ``done``; on Ctrl-C,
``interrupted`` (exit code 130)."""

from __future__ import annotations

import signal
import sys

from completionkit import OpenAI


def main() -> None:
    # Ctrl-C raises KeyboardInterrupt, as in a program run from a terminal: a process
    # started in the background of a non-interactive shell inherits SIGINT ignored, and
    # this child then never saw the test's signal.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    url, journal, count, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    requests = [
        {"custom_id": f"r-{n}", "body": {"model": "m", "messages": [{"role": "user", "content": f"r {n}"}]}}
        for n in range(count)
    ]
    client = OpenAI(api_key="sk-test", base_url=url)
    try:
        for outcome in client.chat.completions.bulk(
            requests, journal=journal, max_concurrency=concurrency, progress=False, grace=30
        ):
            # One write of the whole line: print() writes the text and the newline apart,
            # and a Ctrl-C between the two would tear the line.
            sys.stdout.write(f"{outcome.custom_id}\n")
            sys.stdout.flush()
    except KeyboardInterrupt:
        sys.stdout.write("\ninterrupted\n")  # on a line of its own, whatever came before
        sys.stdout.flush()
        sys.exit(130)
    print("done", flush=True)


if __name__ == "__main__":
    main()
