"""Core behaviour that registers through the same hooks as third-party plugins."""
