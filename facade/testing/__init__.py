"""An OpenAI-compatible chat-completions server for tests: ``LocalServer``.

Install with ``pip install completionkit[testing]`` (it runs on uvicorn).  Run it from
the command line with ``python -m completionkit.testing --port 8080``, and drive it
from another process with ``ServerControl``.  Its pytest plugin (fixtures
``completionkit_server``, ``completionkit_client``, ``completionkit_async_client``)
comes with the package.
"""

from ._cassette import Cassette, CassetteError, Interaction, read_cassette
from ._faults import Fault
from ._limits import RateLimits
from ._model import Reply, ToolCall
from ._server import LocalServer
from ._server_control import ServerControl
from ._state import RecordedRequest

__all__ = [
    "Cassette",
    "CassetteError",
    "Fault",
    "Interaction",
    "LocalServer",
    "RateLimits",
    "RecordedRequest",
    "Reply",
    "ServerControl",
    "ToolCall",
    "read_cassette",
]
