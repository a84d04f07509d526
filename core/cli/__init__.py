"""The ``clientwise`` command line: one module per command group.

``main`` is the console-script entry point; ``cli`` the click group every command
module adds its commands to.
"""

from clientwise.cli.app import cli, main

__all__ = ["cli", "main"]
