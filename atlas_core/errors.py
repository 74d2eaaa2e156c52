"""The one exception type that user-facing code raises for bad input."""


class AtlasError(ValueError):
    """Bad input or an impossible request, with a message that names the file, column, value or setting.

    The CLI prints the message on one line and exits with status 2; library callers can catch it like a
    ``ValueError``.
    """


def require_columns(frame, columns, what: str) -> None:
    """``AtlasError`` naming every column of ``columns`` that ``frame`` (a DataFrame) lacks, for input ``what``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AtlasError(f"{what}: missing column(s) {', '.join(map(str, missing))}")
