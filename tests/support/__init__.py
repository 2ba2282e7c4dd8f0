"""Test support: a fake Slack server and builders of Slack's request shapes."""
