"""The outbox's sending side: send windows (pure) and the one sender of every message."""
