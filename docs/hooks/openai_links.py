"""A griffe extension for the API reference: the generated docstrings are the OpenAPI
description's, whose links are relative to OpenAI's own site (``[audio](/docs/guides/audio)``);
on this site they would point nowhere, so they are made absolute."""

from __future__ import annotations

import re
from typing import Any

import griffe

_SITE_RELATIVE = re.compile(r"\]\(/(?!/)")


class OpenAIPlatformLinks(griffe.Extension):
    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _SITE_RELATIVE.sub("](https://platform.openai.com/", obj.docstring.value)
