"""Many requests in one run: ``client.chat.completions.bulk(...)`` and what it gives."""

from ._journal import read
from ._outcomes import BulkOutcome, BulkProgress, BulkRequest, BulkSummary
from ._runner import AsyncBulkRun, BulkRun
from ._shard import shard

__all__ = [
    "AsyncBulkRun",
    "BulkOutcome",
    "BulkProgress",
    "BulkRequest",
    "BulkRun",
    "BulkSummary",
    "read",
    "shard",
]
