"""The bench stack: its own PostgreSQL cluster and Redis, gunicorn, a Celery worker
and beat, all on 127.0.0.1 and on ports the test services never use.

scripts/services.sh keeps its data under var/services, so the bench has this small
starter instead (data under var/bench/). Every process it starts is remembered by
pid and stopped by pid; nothing is killed by name.

    .venv/bin/python -m bench.stack start     # servers + migrations, then exit
    .venv/bin/python -m bench.stack env       # shell exports for manual runs
    .venv/bin/python -m bench.stack stop
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PY = str(ROOT / ".venv" / "bin" / "python")
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "55432"))
REDIS_PORT = int(os.environ.get("BENCH_REDIS_PORT", "63800"))
WEB_PORT = int(os.environ.get("BENCH_WEB_PORT", "8800"))
SINK_PORT = int(os.environ.get("BENCH_SINK_PORT", "8801"))
DB_NAME = "slawatch_bench"

EVENTS_SECRET = "bench-events-secret"
HUBSPOT_SECRET = "bench-hubspot-secret"
SLACK_TOKEN = "xoxb-bench-token"
SLACK_SIGNING = "bench-slack-signing"
PIPEDRIVE_PASSWORD = "bench-pipedrive-password"
SALESFORCE_TOKEN = "bench-salesforce-token"


def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not found:
        sys.exit("PostgreSQL server binaries not found: apt-get install postgresql")
    return Path(found[-1])


def _as_pg(args, **kw):
    """PostgreSQL refuses to run as root; run its tools as the postgres user then."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, cwd="/tmp", check=True, **kw)


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def env(**extra) -> dict:
    """The environment every bench process runs with (secrets are bench-only values)."""
    out = dict(os.environ)
    out.update({
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PG_PORT}/{DB_NAME}",
        "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
        "SECRET_KEY": "bench-secret-key-" + "z" * 40,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SLAWATCH_PUBLIC_URL": f"http://127.0.0.1:{WEB_PORT}",
        "SLAWATCH_EVENTS_SECRET": EVENTS_SECRET,
        "HUBSPOT_CLIENT_SECRET": HUBSPOT_SECRET,
        "PIPEDRIVE_WEBHOOK_USER": "bench", "PIPEDRIVE_WEBHOOK_PASSWORD": PIPEDRIVE_PASSWORD,
        "SALESFORCE_OUTBOUND_TOKEN": SALESFORCE_TOKEN,
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_SIGNING_SECRET": SLACK_SIGNING,
        "SLACK_API_BASE": f"http://127.0.0.1:{SINK_PORT}/api/",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    })
    out.update({k: str(v) for k, v in extra.items()})
    return out


# --- PostgreSQL -------------------------------------------------------------
PG_DATA = VAR / "pg"


def pg_start() -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    if not (PG_DATA / "PG_VERSION").exists():
        shutil.rmtree(PG_DATA, ignore_errors=True)
        PG_DATA.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(VAR, "postgres", "postgres")
            shutil.chown(PG_DATA, "postgres", "postgres")
        _as_pg([str(pg_bin() / "initdb"), "-D", str(PG_DATA), "-U", "postgres",
                "--auth=trust", "-E", "UTF8"], stdout=subprocess.DEVNULL)
    if pg_running():
        return
    # Same durability shortcuts as the test services (and ceilings.md): the bench
    # measures CPU and round trips, not the disk of a shared machine.
    opts = (f"-p {PG_PORT} -k {VAR} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
            "-c shared_buffers=256MB")
    _as_pg([str(pg_bin() / "pg_ctl"), "-D", str(PG_DATA), "-l", str(VAR / "pg.log"),
            "-w", "-t", "60", "start", "-o", opts], stdout=subprocess.DEVNULL)
    _create_db()


def pg_running() -> bool:
    args = [str(pg_bin() / "pg_ctl"), "-D", str(PG_DATA), "status"]
    try:
        _as_pg(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return True
    except subprocess.CalledProcessError:
        return False


def _create_db() -> None:
    out = _as_pg([str(pg_bin() / "psql"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U",
                  "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{DB_NAME}'"],
                 capture_output=True, text=True).stdout
    if "1" not in out:
        _as_pg([str(pg_bin() / "createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U",
                "postgres", DB_NAME])


def pg_stop(mode: str = "fast") -> None:
    if (PG_DATA / "postmaster.pid").exists():
        _as_pg([str(pg_bin() / "pg_ctl"), "-D", str(PG_DATA), "-m", mode, "-w", "stop"],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pg_restart() -> None:
    pg_stop("fast")
    pg_start()


def psql(sql: str) -> str:
    return _as_pg([str(pg_bin() / "psql"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U",
                   "postgres", "-d", DB_NAME, "-tAc", sql], capture_output=True, text=True).stdout


# --- Redis ------------------------------------------------------------------
def redis_running() -> bool:
    return subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True,
                          text=True).stdout.strip() == "PONG"


def redis_start() -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    if redis_running():
        return
    subprocess.run(["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1",
                    "--daemonize", "yes", "--save", "", "--appendonly", "no", "--dir", str(VAR),
                    "--pidfile", str(VAR / "redis.pid"), "--logfile", str(VAR / "redis.log")],
                   check=True)
    wait_port(REDIS_PORT, 10)


def redis_stop() -> None:
    subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "shutdown", "nosave"],
                   capture_output=True)


# --- slawatch processes -----------------------------------------------------
class Procs:
    """The processes this run started, stopped by pid (never by name)."""

    def __init__(self, extra_env: dict | None = None):
        self.env = env(**(extra_env or {}))
        self.procs: dict[str, subprocess.Popen] = {}
        self.args: dict[str, list[str]] = {}
        self.restarts: dict[str, int] = {}
        (VAR / "logs").mkdir(parents=True, exist_ok=True)

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(VAR / "logs" / f"{name}.log", "ab")
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                start_new_session=True)
        self.procs[name], self.args[name] = proc, args
        return proc

    def restart_exited(self) -> list[str]:
        """Like compose's `restart: unless-stopped`: start again whatever has exited."""
        exited = [name for name, proc in self.procs.items() if proc.poll() is not None]
        for name in exited:
            self.spawn(name, self.args[name])
            self.restarts[name] = self.restarts.get(name, 0) + 1
        return exited

    def manage(self, *args: str) -> None:
        subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def web(self, workers: int = 2) -> subprocess.Popen:
        proc = self.spawn("web", [PY, "-m", "gunicorn", "config.wsgi:application",
                                  "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{WEB_PORT}",
                                  "--backlog", "2048", "--timeout", "60"])
        wait_port(WEB_PORT)
        return proc

    def worker(self, name: str = "worker", concurrency: int = 2) -> subprocess.Popen:
        return self.spawn(name, [PY, "-m", "celery", "-A", "config.celery", "worker",
                                 "-c", str(concurrency), "-P", "prefork", "-n", f"{name}@bench",
                                 "--without-gossip", "--without-mingle", "-l", "WARNING"])

    def beat(self, name: str = "beat") -> subprocess.Popen:
        schedule = VAR / f"{name}-schedule"
        return self.spawn(name, [PY, "-m", "celery", "-A", "config.celery", "beat",
                                 "-s", str(schedule), "-l", "WARNING"])

    def sweeper(self, name: str = "sweeper") -> subprocess.Popen:
        return self.spawn(name, [PY, "manage.py", "slawatch_sweeper"])

    def children(self, name: str) -> list[int]:
        """Pids of a process's children (gunicorn or prefork workers), whichever of its
        threads forked them (Celery's pool supervisor thread starts replacements)."""
        pids = []
        for path in Path(f"/proc/{self.procs[name].pid}/task").glob("*/children"):
            try:
                pids += [int(p) for p in path.read_text().split()]
            except OSError:
                pass
        return sorted(set(pids))

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, sig)  # its own session: the parent and its forked children
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop_all()


def supervised_sleep(procs: Procs, seconds: float, until=None) -> None:
    """Sleep (bounded) while restarting exited processes, until `until()` is true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        procs.restart_exited()
        if until is not None and until():
            return
        time.sleep(0.5)


def peak_rss_kib(pid: int) -> int:
    """VmHWM: the process's peak resident set so far, in KiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def servers_up() -> None:
    pg_start()
    redis_start()


def migrate(procs: Procs | None = None) -> None:
    (procs or Procs()).manage("migrate", "--noinput")


def main(argv: list[str]) -> int:
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "start":
        servers_up()
        migrate()
        print(f"bench PostgreSQL 127.0.0.1:{PG_PORT}, Redis 127.0.0.1:{REDIS_PORT}, migrated")
    elif cmd == "stop":
        pg_stop()
        redis_stop()
    elif cmd == "env":
        for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "SLAWATCH_PUBLIC_URL",
                    "SLACK_API_BASE"):
            print(f"export {key}={env()[key]}")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
