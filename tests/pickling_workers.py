"""What tests/test_pickling.py runs in worker processes.  A spawned worker imports a
function by its module's name, so these live in a module of their own, importable as
``tests.pickling_workers`` (the project's folder is on ``sys.path``, the worker's too)."""

from __future__ import annotations

import msgspec

from completionkit import ChatCompletionResult, OpenAI

MISSING_ID = "chatcmpl-not-stored-anywhere"


class Forecast(msgspec.Struct):
    """What a worker asks the model for: a type the parent imports too, to unpickle it."""

    city: str
    temperature: float


def retrieve_missing(base_url: str, api_key: str) -> None:
    """Ask the server for a completion it does not hold: raises its ``NotFoundError``."""
    with OpenAI(api_key=api_key, base_url=base_url, max_retries=0) as client:
        client.chat.completions.retrieve(MISSING_ID)


def forecast(base_url: str, api_key: str) -> ChatCompletionResult[Forecast]:
    """A completion parsed into ``Forecast``, made in the worker and returned to the parent."""
    with OpenAI(api_key=api_key, base_url=base_url, max_retries=0) as client:
        return client.chat.completions.create(
            [{"role": "user", "content": "The weather in Oslo?"}], model="m", response_format=Forecast
        )
