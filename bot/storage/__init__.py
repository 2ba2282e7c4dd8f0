"""The store's repositories, one module per concern, handed out by `bot.store.Store`."""
