"""The one base class for errors a user can cause. Every message says what is wrong and what to do."""


class RiskLensError(ValueError):
    """A user-facing error: shown as a message (page) or one stderr line (CLI), never a traceback."""
