"""Real processes for fault injection: Celery workers as subprocesses, private Redis servers, a claim log.

The worker runs the production settings (config.settings) against the test database,
so what it does is what a deployed worker does; the test process only injects faults
and counts what the SMTP server received.
"""

import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests.conftest import require_service
from tests.support.smtp import free_port
from tests.support.workers import wait_for

ROOT = Path(django_settings.BASE_DIR)


def worker_database_url() -> str:
    """The URL of the database pytest-django created, for processes outside this one."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class WorkerProcess:
    """`celery -A config worker`, prefork with one pool process, on a private queue."""

    env: dict[str, str]
    queue: str
    log_path: Path
    starts: int = 0
    proc: subprocess.Popen | None = None
    _log: object = None

    def start(self) -> None:
        assert not self.alive
        self.starts += 1
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop/kill
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                self.queue,
                "-P",
                "prefork",
                "-c",
                "1",
                "-n",
                f"{self.queue}-{self.starts}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "WARNING",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Its own process group, so a kill takes the pool processes with it.
            start_new_session=True,
        )

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def pool_pids(self) -> list[int]:
        if not self.alive:
            return []
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def kill(self) -> None:
        """SIGKILL the worker and its pool at once, as the OOM killer or a lost machine would."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        # Pool processes are in the same group; wait until none is left.
        wait_for(lambda: not _group_alive(self.proc.pid), timeout=10)
        self._log.close()

    def kill_pool_process(self) -> bool:
        """SIGKILL only the pool process running the task; the parent forks a new one."""
        pids = self.pool_pids()
        if not pids:
            return False
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        assert wait_for(lambda: not any(_running(pid) for pid in pids), timeout=10)
        return True

    def stop(self) -> None:
        if self.alive:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self._log:
            self._log.close()

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for its parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _point_app_at(app, **conf) -> None:
    """Change the Celery app's broker and queue; forget the pools bound to the old broker.

    The pools themselves stay open in kombu's registry, keyed by broker URL, for the next user.
    """
    if "broker_url" in conf:
        # Celery resolves these from broker_url once, at first use.
        conf.update(broker_read_url=conf["broker_url"], broker_write_url=conf["broker_url"])
    app.conf.update(**conf)
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_workers(settings, tmp_path, transactional_db):
    """Make worker subprocesses on the Redis broker (or a given one); the test process sends to them."""
    from config.celery import app

    broker = os.environ.get("CELERY_BROKER_URL", "")
    require_service(broker.startswith("redis"), "CELERY_BROKER_URL (Redis) is not set")
    require_service(connection.vendor == "postgresql", "DATABASE_URL (PostgreSQL) is not set")
    queue = f"reliability-{uuid.uuid4().hex[:8]}"
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.DIGEST_CLAIM_TIMEOUT = 3
    workers: list[WorkerProcess] = []

    def make(*, smtp_port: int, broker_url: str = broker, **env) -> WorkerProcess:
        _point_app_at(app, task_always_eager=False, broker_url=broker_url, task_default_queue=queue)
        worker_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            # Retries the worker queues itself must come back to it, not to the shared default queue.
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_TIMEOUT": "5",
            "SITE_URL": "http://testserver",
            # Short enough for a test to see abandoned claims and lost tasks come back.
            "DIGEST_CLAIM_TIMEOUT": str(settings.DIGEST_CLAIM_TIMEOUT),
            "CELERY_VISIBILITY_TIMEOUT": "8",
            # Names the worker's database sessions, so a test can cut exactly those.
            "PGAPPNAME": f"pd-{queue}",
            "LOG_LEVEL": "WARNING",
            **{key: str(value) for key, value in env.items()},
        }
        worker = WorkerProcess(env=worker_env, queue=queue, log_path=tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        return worker

    try:
        yield make
    finally:
        for worker in workers:
            worker.stop()
        _point_app_at(app, **saved)


@dataclass
class RedisServer:
    """A private redis-server on a free port that a test may stop and start again."""

    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self._answers, timeout=10), "redis-server did not start"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def _answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def private_redis(tmp_path):
    require_service(shutil.which("redis-server") is not None, "redis-server is not installed")
    server = RedisServer(workdir=tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# Every change of a digest's status or claim, written by the database itself: the
# ground truth for which send attempt a message at the SMTP server belongs to.
_CLAIM_LOG_SQL = """
CREATE TABLE reliability_claim_log (
    id bigserial PRIMARY KEY, digest_id bigint NOT NULL, status text NOT NULL, claimed_at timestamptz
);
CREATE FUNCTION reliability_log_claim() RETURNS trigger AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status OR NEW.claimed_at IS DISTINCT FROM OLD.claimed_at THEN
        INSERT INTO reliability_claim_log (digest_id, status, claimed_at) VALUES (NEW.id, NEW.status, NEW.claimed_at);
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER reliability_log_claim AFTER UPDATE ON digest_digest
    FOR EACH ROW EXECUTE FUNCTION reliability_log_claim();
"""
_CLAIM_LOG_DROP = """
DROP TRIGGER IF EXISTS reliability_log_claim ON digest_digest;
DROP FUNCTION IF EXISTS reliability_log_claim();
DROP TABLE IF EXISTS reliability_claim_log;
"""


@dataclass
class Attempt:
    """One claim of a digest by a sender, and how it ended."""

    claimed_at: datetime
    marked_sent: bool = False
    accepted: int = 0  # messages the SMTP server accepted during this claim


class ClaimLog:
    def attempts(self) -> dict[int, list[Attempt]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT digest_id, status, claimed_at FROM reliability_claim_log ORDER BY id")
            rows = cursor.fetchall()
        attempts: dict[int, list[Attempt]] = defaultdict(list)
        for digest_id, status, claimed_at in rows:
            if status == "sending":
                attempts[digest_id].append(Attempt(claimed_at=claimed_at))
            elif status == "sent":
                attempts[digest_id][-1].marked_sent = True
        return attempts


@pytest.fixture
def claim_log(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_LOG_DROP + _CLAIM_LOG_SQL)
    try:
        yield ClaimLog()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_LOG_DROP)
