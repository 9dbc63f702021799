"""Library chatter stays out of the logs, whatever the library does to its logger on import."""

import logging

from config.logging import MinLevelFilter


def test_it_keeps_bm25s_debug_lines_out_after_bm25s_was_imported(caplog):
    import bm25s  # noqa: F401  (sets its logger to DEBUG on import)

    logger = logging.getLogger("bm25s")
    with caplog.at_level(logging.DEBUG):
        logger.debug("Building index from IDs objects")
        logger.info("Finished")
        logger.warning("Something worth reading")

    assert [r.getMessage() for r in caplog.records if r.name == "bm25s"] == ["Something worth reading"]


def test_it_filters_by_level_name_or_number():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)

    assert not MinLevelFilter("WARNING").filter(record)
    assert MinLevelFilter(logging.INFO).filter(record)
