"""digest/management/cli.py and the date arguments of the commands that take one."""

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from digest.management.cli import QuietCommand

pytestmark = pytest.mark.django_db


class Chatty(QuietCommand):
    def handle(self, *args, **options):
        logging.getLogger("digest.pipeline").info("an INFO line for the service logs")
        logging.getLogger("digest.pipeline").warning("a warning everyone should see")
        self.step("A long step...")


def run(command: QuietCommand, *args: str) -> str:
    err = StringIO()
    call_command(command, *args, stdout=StringIO(), stderr=err)
    return err.getvalue()


def test_service_logs_are_quiet_unless_asked(caplog):
    assert run(Chatty()) == "A long step...\n"
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert logging.getLogger("digest").level == logging.INFO, "the level is put back afterwards"

    caplog.clear()
    run(Chatty(), "-v", "2")
    assert [r.levelname for r in caplog.records] == ["INFO", "WARNING"]


def test_verbosity_zero_leaves_out_the_steps():
    assert run(Chatty(), "-v", "0") == ""


@pytest.mark.parametrize("command", ["run_daily", "send_digests", "preview_digest"])
def test_a_bad_date_is_named_with_the_format_to_use(command):
    args = ["ada@example.org"] if command == "preview_digest" else []
    with pytest.raises(CommandError, match=r"not a date: 'tomorrow'; give YYYY-MM-DD"):
        call_command(command, *args, "--date", "tomorrow", stdout=StringIO(), stderr=StringIO())


def test_run_daily_refuses_a_date_in_the_future():
    with pytest.raises(CommandError, match="is in the future"):
        call_command("run_daily", "--date", "2999-01-01", stdout=StringIO(), stderr=StringIO())
