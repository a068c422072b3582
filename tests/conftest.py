"""Fixtures shared by the whole suite: apps, clients, live servers, inputs."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from service import create_app
from service.config import Settings
from service.db import make_engine
from service.db.queries import create_key
from service.pipeline import flows as run
from tests.fixtures import CORPUS
from tests.fixtures import CORPUS_FOUND
from tests.fixtures import CORPUS_HOW


def pytest_configure(config):
    """Stop at once, with one line, when the corpus of real scans is nowhere (scripts/corpus.py)."""
    if not CORPUS_FOUND:
        pytest.exit(CORPUS_HOW, returncode=4)
from tests.fixtures import textured_obj_zip


@pytest.fixture(autouse=True, scope="module")
def _previews_only_in_their_tests(request):
    """In-process `process()` calls skip the preview hook outside tests/pipeline/render.

    Rendering stills and a 6 s turntable adds 15-70 s per call; the other areas'
    tests are not about it (issue 4). Module scope, so module-scoped fixtures see it too.
    """
    if "tests/pipeline/render/" in request.node.nodeid:
        yield
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.delitem(run.AFTER, "previews", raising=False)
        yield


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Embedded defaults under tmp_path; jobs are run explicitly by the test."""
    return Settings(data_dir=str(tmp_path / "var"), testing=True, start_worker=False, previews=False)


@pytest.fixture
def app(settings):
    """A fresh app for each test."""
    app = create_app(settings)
    yield app
    _stop(app)


def _stop(app) -> None:
    runner = app.extensions.get("runner")
    if runner is not None:
        runner.stop()
    dispatcher = app.extensions.get("webhooks")
    if dispatcher is not None:
        dispatcher.stop()
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def make_key(app, institution: str = "Bảo tàng Lịch sử Quốc gia") -> str:
    """Create an API key for an institution in the app's database."""
    engine = make_engine(app.config["SETTINGS"].database_url)
    with Session(engine) as db:
        key = create_key(db, institution)
        db.commit()
    engine.dispose()
    return key


@pytest.fixture
def api_key(app) -> str:
    return make_key(app)


@pytest.fixture
def auth(api_key) -> dict:
    return {"Authorization": f"Bearer {api_key}"}


def run_jobs(app) -> int:
    """Run every queued job of `app` in this thread; return how many ran."""
    from service.jobs.runner import InlineRunner

    return InlineRunner(app.extensions["job_context"]).run_until_idle()


class LiveServer:
    """An app served over real HTTP on a free port, in a thread."""

    def __init__(self, app) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


def start_live(settings: Settings) -> LiveServer:
    return LiveServer(create_app(settings))


@pytest.fixture
def live(tmp_path):
    """A live app with embedded defaults and in-process worker threads."""
    server = start_live(Settings(data_dir=str(tmp_path / "live"), testing=True, start_worker=True, previews=False))
    yield server
    server.stop()
    _stop(server.app)


def wait_for(predicate, timeout: float = 120, interval: float = 0.2):
    """Poll `predicate` until it returns a truthy value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def obj_zip(tmp_path):
    """A zipped textured OBJ (box 20 x 30 x 10 cm)."""
    return textured_obj_zip(tmp_path / "box.zip")


@pytest.fixture
def corpus():
    """The shared corpus folder; the suite needs it for realistic tests."""
    return CORPUS


@pytest.fixture(scope="session")
def moto_server():
    """moto's standalone S3 server, over HTTP, for the whole session."""
    from tests.servers import MotoServer

    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def pg_schema():
    """A fresh PostgreSQL schema on the machine's server (database `test`); dropped afterwards."""
    from tests.servers import create_pg_schema
    from tests.servers import drop_pg_schema

    schema = create_pg_schema()
    yield schema
    drop_pg_schema(schema)
