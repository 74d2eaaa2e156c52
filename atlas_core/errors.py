"""The one exception type that user-facing code raises for bad input."""


class AtlasError(ValueError):
    """Bad input or an impossible request, with a message that names the file, column, value or setting.

    The CLI prints the message on one line and exits with status 2; library callers can catch it like a
    ``ValueError``.
    """
