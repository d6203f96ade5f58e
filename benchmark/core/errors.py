"""Errors a user can act on.

A :class:`BenchError` carries one line that names the offending value and the fix. The CLI
prints it without a traceback and exits with status 2.
"""


class BenchError(Exception):
    """Bad input or configuration, explained in one line."""


class UnknownNameError(BenchError, KeyError):
    """A name (method, noise kind, dataset) that is not registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])
