"""Built-in plugins (registered on the same plugin manager as third-party ones)."""
