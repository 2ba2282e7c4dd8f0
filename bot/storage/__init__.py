"""The store's repositories: one module per concern, opened by `bot.store.Store`."""
