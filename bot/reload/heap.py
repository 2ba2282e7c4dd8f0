"""The garbage collector during a reload: objects older than the reload are left alone.

Applying a reload builds hundreds of thousands of short-lived objects (rows read, plans,
messages). Each time they push the collector into a full collection, it walks every
object of the process too (the schedule in service, caches, everything held before), and
at summit scale that was ~0.15 s of a ~3 s reload. `gc.freeze()` moves the objects that
exist now out of the collector's sight; `gc.unfreeze()` gives them back to the oldest
generation, so nothing is kept from collection for longer than the reload. Garbage made
during the reload is still collected as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def older_objects_frozen() -> Iterator[None]:
    """Within the block, collections look only at objects made within it.

    Process-wide, as the collector is: concurrent blocks overlap harmlessly (the first to
    end hands every frozen object back; the others then just collect as usual).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
