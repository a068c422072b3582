"""Real servers for integration tests: moto's standalone S3 server, PostgreSQL schemas, Redis."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid

import requests

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    """moto's standalone S3 server in its own process, spoken to over HTTP."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/moto-api/", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def s3_settings(moto: MotoServer) -> dict:
    """Settings fields for an S3 store on a fresh bucket of the moto server."""
    return {
        "storage": "s3",
        "s3_endpoint_url": moto.url,
        "s3_bucket": "test-" + uuid.uuid4().hex[:12],
        "s3_access_key_id": "testing",
        "s3_secret_access_key": "testing",
        "s3_region": "us-east-1",
        "s3_multipart_mb": 5,  # the S3 minimum part size, so tests exercise multipart
    }


def pg_schema_url(schema: str) -> str:
    """A PostgreSQL URL whose connections use `schema` first."""
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


def create_pg_schema() -> str:
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema


def drop_pg_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def settings_env(settings) -> dict:
    """HERITAGE_AR_* variables that reproduce `settings` in another process."""
    import dataclasses
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("HERITAGE_AR_")}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        env["HERITAGE_AR_" + f.name.upper()] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


def start_cli(args: list[str], env: dict, log_path) -> subprocess.Popen:
    """Run `heritage-ar ARGS` as a separate process (as an operator would)."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    env = dict(env, PYTHONPATH=str(repo))
    with open(log_path, "wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "service.cli", *args], env=env, cwd=repo,
                                stdout=log, stderr=subprocess.STDOUT)


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")
