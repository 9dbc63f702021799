from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from digest.models import IngestRun, Paper
from tests.digest.sources import FIXTURES

pytestmark = pytest.mark.django_db


def _ingest(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("ingest", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_loads_the_sample_corpus_and_says_what_it_did():
    out, _ = _ingest("--sample", "--date", "2026-06-12")

    assert "343 new, 0 updated, 0 unchanged, 0 failed" in out
    assert Paper.objects.filter(announced_on=date(2026, 6, 12)).count() == 343


def test_it_is_safe_to_run_twice():
    _ingest("--sample")
    out, _ = _ingest("--sample")

    assert "0 new, 0 updated, 343 unchanged, 0 failed" in out
    assert Paper.objects.count() == 343


def test_it_reads_several_files_and_sums_them_up():
    out, _ = _ingest(
        "--source",
        "arxiv_api",
        "--file",
        str(FIXTURES / "arxiv_api_legacy_idlist_partly-missing_2025-08-24.atom.xml"),
        "--file",
        str(FIXTURES / "arxiv_api_query_transformer-AND-cs.LG_2026-06-14.atom.xml"),
    )

    assert "1 new, 0 updated, 0 unchanged, 3 failed" in out
    assert "skipped: entry 1: empty entry" in out
    assert out.strip().endswith("total: 6 new, 0 updated, 0 unchanged, 3 failed")


def test_it_exits_non_zero_on_a_failed_fetch_and_records_the_run():
    with pytest.raises(CommandError, match="1 of 1 fetches failed"):
        _ingest("--source", "arxiv_api", "--file", str(FIXTURES / "arxiv_api_synthetic_error-entry.atom.xml"))

    run = IngestRun.objects.get()
    assert run.status == IngestRun.Status.FAILED
    assert run.errors == ["arXiv API error: incorrect id format for bogus"]


def test_it_walks_a_date_range_one_fetch_per_day(monkeypatch):
    days = []

    def fake_ingest_source(source, *, day=None, path=None, **kwargs):
        days.append((source, day, path))
        kwargs["progress"](0, 0)
        return IngestRun.objects.create(source=source, status=IngestRun.Status.SUCCEEDED)

    monkeypatch.setattr("digest.management.commands.ingest.ingest_source", fake_ingest_source)

    out, _ = _ingest("--source", "hf_daily", "--from", "2026-06-10", "--to", "2026-06-12")

    assert days == [("hf_daily", date(2026, 6, d), None) for d in (10, 11, 12)]
    assert "total: 0 new" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (("--date", "2026-06-12"), "give --source"),
        (("--source", "hf_daily"), "hf_daily needs --date YYYY-MM-DD"),
        (("--source", "arxiv_api"), "arxiv_api needs --query, --ids or --date"),
        (("--source", "hf_daily", "--date", "2026-06-12", "--from", "2026-06-01"), "not both"),
        (("--source", "hf_daily", "--from", "2026-06-12", "--to", "2026-06-01"), "before --from"),
        (("--source", "hf_page"), "reads a saved response: give --file PATH"),
        (("--source", "hf_daily", "--date", "tomorrow"), "not a date: 'tomorrow'; give YYYY-MM-DD"),
    ],
)
def test_it_refuses_arguments_that_make_no_sense_before_recording_a_run(args, message):
    with pytest.raises(CommandError, match=message):
        _ingest(*args)
    assert not IngestRun.objects.exists()


def test_the_help_says_what_each_source_needs(capsys):
    with pytest.raises(SystemExit):
        call_command("ingest", "--help")
    assert "hf_daily needs --date" in " ".join(capsys.readouterr().out.split())


def test_a_file_without_a_source_is_read_as_a_generic_file(tmp_path):
    papers = tmp_path / "papers.jsonl"
    papers.write_text(
        '{"id": "p-1", "title": "A paper on sparse retrieval", "abstract": "We study SPLADE."}\n'
        '{"id": "p-2", "title": "A paper on dense retrieval", "abstract": "We study DPR."}\n'
    )

    out, _ = _ingest("--file", str(papers), "--date", "2026-06-12")

    assert "2 new" in out
    assert IngestRun.objects.get().source == "file"
    assert set(Paper.objects.values_list("announced_on", flat=True)) == {date(2026, 6, 12)}


def test_it_is_quiet_unless_asked(caplog):
    out, err = _ingest("--sample", "--date", "2026-06-12")
    assert "INFO" not in out + err and not [r for r in caplog.records if r.levelname == "INFO"]

    caplog.clear()
    call_command("ingest", "--sample", "--no-progress", "-v", "2", stdout=StringIO(), stderr=StringIO())
    assert any("ingest file:" in r.getMessage() for r in caplog.records)
