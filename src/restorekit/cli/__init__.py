"""Command-line interface: one module per sub-command, each only parsing arguments."""
