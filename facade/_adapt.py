"""Adapting a create request to its provider: only where the provider's profile says it
departs from the API of spec/, each change logged once per client, or refused with
``strict_params=True``.

What the caller set is never dropped where the provider takes it: a field is left out
only for a provider that refuses it, renamed only into the field the provider honours.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import msgspec

from ._exceptions import InvalidRequestError
from ._generated.models import CreateChatCompletionRequest as Request
from ._providers import Provider

__all__ = ["Adaptation", "adapt", "log_once"]

logger = logging.getLogger("completionkit")


class Adaptation(NamedTuple):
    """One change made to a request for its provider."""

    provider: str
    field: str
    change: str
    """What was done: ``left out``, ``sent as max_tokens``."""
    why: str
    """What the provider does with the field as the spec has it."""

    def __str__(self) -> str:
        return f"{self.field} {self.change} for {self.provider}: {self.why}"


def _given(body: Request, name: str) -> bool:
    return getattr(body, name) is not msgspec.UNSET


def _renamed(body: Request, given: str, taken: str, provider: Provider) -> Adaptation | None:
    if not _given(body, given):
        return None
    if _given(body, taken):
        # Which of the two bounds the answer cannot be guessed: the caller says.
        raise InvalidRequestError(
            given,
            f"{provider.name} takes only {taken}, and both {given} and {taken} are given: give one",
        )
    setattr(body, taken, getattr(body, given))
    setattr(body, given, msgspec.UNSET)
    if taken == "max_tokens":
        why = f"it does not honour {given} (it refuses or ignores it)"
    else:
        why = f"its reasoning models refuse {given}, and every model takes {taken}"
    return Adaptation(provider.name, given, f"sent as {taken}", why)


def adapt(body: Request, provider: Provider, *, strict: bool) -> tuple[Adaptation, ...]:
    """Adapt a create request's ``body`` (checked already, changed in place) to ``provider``;
    the changes made.  With ``strict`` a change that would be needed raises
    ``InvalidRequestError`` naming the field instead, before anything is sent."""
    profile = provider.profile
    done: list[Adaptation] = []
    if profile.max_tokens_field == "max_tokens":
        renamed = _renamed(body, "max_completion_tokens", "max_tokens", provider)
    elif profile.max_tokens_field == "max_completion_tokens":
        renamed = _renamed(body, "max_tokens", "max_completion_tokens", provider)
    else:
        renamed = None
    if renamed is not None:
        done.append(renamed)
    if not profile.stream_options and _given(body, "stream_options"):
        body.stream_options = msgspec.UNSET
        usage = {
            "always": "its streams end with the usage anyway",
            "when_asked": "its streams then end without the usage",
            "never": "its streams carry no usage",
        }[profile.stream_usage]
        done.append(Adaptation(provider.name, "stream_options", "left out", f"it refuses it; {usage}"))
    without_tools = body.tools is msgspec.UNSET or not body.tools
    if profile.tool_choice_without_tools == "refused" and _given(body, "tool_choice") and without_tools:
        body.tool_choice = msgspec.UNSET
        done.append(
            Adaptation(
                provider.name, "tool_choice", "left out", "it refuses tool_choice in a request without tools"
            )
        )
    if strict and done:
        first = done[0]
        raise InvalidRequestError(
            first.field,
            f"{first.provider} would need it {first.change} ({first.why}); strict_params=True sends "
            "nothing adapted: change the request, or make the client without strict_params",
        )
    return tuple(done)


def log_once(adaptations: tuple[Adaptation, ...], seen: set[Adaptation]) -> None:
    """Log each adaptation the first time a client makes it (``seen`` is the client's)."""
    for adaptation in adaptations:
        if adaptation not in seen:
            seen.add(adaptation)
            logger.info("completionkit adapted a request: %s", adaptation)
