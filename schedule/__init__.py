"""The pure schedule core: model, importers and queries (no Slack, no database)."""
