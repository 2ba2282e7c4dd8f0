"""The garbage collector around a reload's bulk work (`older_objects_frozen`)."""

from __future__ import annotations

import gc
import weakref

import pytest

from bot.reload.heap import older_objects_frozen


class _Node:
    """A collectable object that can be part of a reference cycle."""

    def __init__(self) -> None:
        self.other: object = self


def test_objects_made_before_are_frozen_within_and_given_back_after() -> None:
    """Older objects leave the collector's sight in the block and come back at its end."""
    assert gc.get_freeze_count() == 0
    with older_objects_frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_cycles_made_within_the_block_are_still_collected() -> None:
    """Garbage made during the block is collected as usual."""
    with older_objects_frozen():
        node = _Node()
        gone = weakref.ref(node)
        del node
        gc.collect()
        assert gone() is None


def test_cycles_made_before_are_collected_after_the_block() -> None:
    """An old cycle that became garbage in the block is collected once the block ends."""
    node = _Node()
    gone = weakref.ref(node)
    with older_objects_frozen():
        del node
        gc.collect()
        assert gone() is not None  # frozen: left alone within the block
    gc.collect()
    assert gone() is None


def test_an_error_in_the_block_still_gives_the_objects_back() -> None:
    """The block's end unfreezes even when the work inside fails."""
    with pytest.raises(RuntimeError), older_objects_frozen():
        raise RuntimeError("reload failed")
    assert gc.get_freeze_count() == 0
