"""Every type a user may annotate with: the models of the API (``ChatCompletionTool``,
``CreateChatCompletionResponse``, ...) and the TypedDict twin of each request object
(``ChatCompletionToolParam``, ``ChatCompletionRequestUserMessageParam``, ...), so that user
code never imports ``completionkit._generated``.

The list is generated from spec/openapi.yaml (``generated/public.py``): a regeneration
updates this module, and a name here never carries a number or a generator's placeholder.
"""

from ._generated import public
from ._generated.public import *  # noqa: F403

__all__: list[str] = []
__all__ += public.__all__
