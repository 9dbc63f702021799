"""Logging helpers referenced from settings.LOGGING."""

import logging


class MinLevelFilter(logging.Filter):
    """Drop records below `level`, whatever level the logger itself is set to.

    Some libraries set their logger's level when they are imported (bm25s sets
    DEBUG), after Django applied LOGGING; a filter on the logger is not undone.
    """

    def __init__(self, level: str | int = logging.WARNING):
        super().__init__()
        self.level = logging.getLevelNamesMapping()[level] if isinstance(level, str) else level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level
