"""An OpenAI-compatible chat-completions server for tests: ``LocalServer``.

Install with ``pip install completionkit[testing]`` (it runs on uvicorn).  Run it from
the command line with ``python -m completionkit.testing --port 8080``.
"""

from ._app import RecordedRequest
from ._faults import Fault
from ._limits import RateLimits
from ._model import Reply, ToolCall
from ._server import LocalServer

__all__ = ["Fault", "LocalServer", "RateLimits", "RecordedRequest", "Reply", "ToolCall"]
