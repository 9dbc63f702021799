"""Embedded-default email backend: each email becomes files in a folder a person can open.

For every message: `<stamp>-<n>.eml` (the exact bytes an SMTP server would get),
`<stamp>-<n>.html` (its HTML part) and a line in `index.html` listing them all.
"""

import html
import json
import os
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class FileEmailBackend(BaseEmailBackend):
    _lock = threading.Lock()

    def __init__(self, *args, outbox_dir=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.outbox_dir = Path(outbox_dir or settings.EMAIL_OUTBOX_DIR)

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            for message in email_messages:
                self._write(message)
            self._write_index()
        return len(email_messages)

    def _write(self, message) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        base = f"{stamp}-{_SAFE.sub('_', message.to[0] if message.to else 'unknown')[:60]}"
        (self.outbox_dir / f"{base}.eml").write_bytes(message.message().as_bytes())
        html_part = next(
            (body for body, mime in getattr(message, "alternatives", []) if mime == "text/html"), None
        )
        if html_part is not None:
            (self.outbox_dir / f"{base}.html").write_text(html_part, encoding="utf-8")
        meta = {
            "to": ", ".join(message.to),
            "subject": str(message.subject),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "html": f"{base}.html" if html_part is not None else None,
            "eml": f"{base}.eml",
        }
        tmp = self.outbox_dir / f".{base}.json.tmp"
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(tmp, self.outbox_dir / f"{base}.json")

    def _write_index(self) -> None:
        entries = []
        for path in sorted(self.outbox_dir.glob("*.json"), reverse=True):
            try:
                entries.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        rows = "\n".join(
            "<tr><td>{date}</td><td>{to}</td><td>{subject}</td><td>{links}</td></tr>".format(
                date=html.escape(e["date"]),
                to=html.escape(e["to"]),
                subject=html.escape(e["subject"]),
                links=" ".join(
                    f'<a href="{html.escape(name)}">{label}</a>'
                    for label, name in (("HTML", e.get("html")), ("raw .eml", e.get("eml")))
                    if name
                ),
            )
            for e in entries
        )
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Outbox — {len(entries)} emails</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#1f2933}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #e4e7eb;padding:.5rem;text-align:left;vertical-align:top}}th{{background:#f5f7fa}}</style>
</head><body><h1>Outbox</h1><p>{len(entries)} emails written by Paper Digest's file backend, newest first.</p>
<table><thead><tr><th>Written (UTC)</th><th>To</th><th>Subject</th><th>Open</th></tr></thead>
<tbody>
{rows}
</tbody></table></body></html>
"""
        tmp = self.outbox_dir / ".index.html.tmp"
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, self.outbox_dir / "index.html")
