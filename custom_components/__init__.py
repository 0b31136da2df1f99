"""Custom integrations, for the tests and the dev instance."""
