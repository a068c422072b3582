"""
delivery.py
-----------

Benchmark (not a test) of viral-scale delivery, docs/delivery.md:

1. processes one textured box in a temporary data dir;
2. starts `heritage-ar serve --production` (granian, one worker per core) and
   nginx (Debian package `nginx`, own config, free loopback port) serving a
   static copy of the same bytes (page, embed, oEmbed answer, QR, model file);
   and nginx with scripts/nginx-front.conf in front of the app (5 s micro-cache);
3. loads all three with wrk (Debian package `wrk`, keep-alive) at 1-256
   connections: page, embed, oEmbed, QR, a model file (local storage), pure
   beacons, and a mix of one page view and 3 beacons (view, load, ar) per
   view with a page-load id each;
4. prints a table with the ratio to nginx and saves docs/img/delivery-benchmark.png
   and benchmarks/out/delivery.json.

Run: `PYTHONPATH=. python benchmarks/delivery.py [--seconds 2] [--conns 1,16,64,256]`
(needs `apt-get install nginx wrk`; about 2-3 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service import create_app  # noqa: E402
from service.config import Settings  # noqa: E402
from tests.conftest import _stop  # noqa: E402
from tests.conftest import make_key  # noqa: E402
from tests.fixtures import textured_obj_zip  # noqa: E402
from tests.viewer.helpers import ready_artefact  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FRONT = ROOT / "scripts" / "nginx-front.conf"
OUT = ROOT / "benchmarks" / "out"
PLOT = ROOT / "docs" / "img" / "delivery-benchmark.png"
MIX = """
local n, id = 0, 0
function setup(thread) thread:set("tid", math.random(1, 1000000000)) end
function request()
  local i = n % 4
  n = n + 1
  if i == 0 then id = id + 1; return wrk.format("GET", "/ar/SLUG") end
  local p = string.format("mNONCE%09d%08d", tid or 0, id)
  return wrk.format("POST", "/b/SLUG/" .. ({"view", "load", "ar"})[i] .. "?p=" .. p)
end
"""
BEACON = """
local id = 0
function setup(thread) thread:set("tid", math.random(1, 1000000000)) end
function request()
  id = id + 1
  return wrk.format("POST", string.format("/b/SLUG/view?p=bNONCE%09d%08d", tid or 0, id))
end
"""
NGINX = """
worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/tmp; proxy_temp_path {dir}/tmp; fastcgi_temp_path {dir}/tmp;
  uwsgi_temp_path {dir}/tmp; scgi_temp_path {dir}/tmp;
  sendfile on; tcp_nopush on; keepalive_requests 100000;
  types {{ text/html html; application/json json; image/svg+xml svg; model/gltf-binary glb; }}
  default_type text/html;
  server {{ listen 127.0.0.1:{port}; root {dir}/www; location / {{ add_header Cache-Control "public, max-age=20"; }} }}
  include {dir}/front.conf;
}}
"""


_TAKEN: set[int] = set()


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _TAKEN:
            _TAKEN.add(port)
            return port


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def prepare(data_dir: Path) -> dict:
    """A data dir with one ready artefact; its slug, short code and model key."""
    app = create_app(Settings(data_dir=str(data_dir), testing=True, start_worker=False, previews=False))
    try:
        key = make_key(app)
        art = ready_artefact(app, app.test_client(), {"Authorization": f"Bearer {key}"},
                             textured_obj_zip(data_dir.parent / "box.zip"))
    finally:
        _stop(app)
    model = art["derivatives"]["thumb.glb"]["url"].split("/files/", 1)[1]
    return {"slug": art["links"]["share"].rsplit("/", 1)[1], "model": model, "share": art["links"]["share"]}


def paths(art: dict, port: int) -> dict[str, str]:
    share = f"http://127.0.0.1:{port}/ar/{art['slug']}"
    return {"page": f"/ar/{art['slug']}", "embed": f"/embed/{art['slug']}",
            "oembed": f"/oembed?url={requests.utils.quote(share, safe='')}", "qr": f"/qr/{art['slug']}.svg",
            "model": f"/files/{art['model']}"}


def static_copy(app_url: str, routes: dict[str, str], www: Path) -> dict[str, str]:
    """The same bytes as files for nginx; returns the nginx path of each endpoint."""
    out = {}
    for name, path in routes.items():
        body = requests.get(app_url + path, timeout=30).content
        target = www / name / ("index" + {"oembed": ".json", "qr": ".svg", "model": ".glb"}.get(name, ".html"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        out[name] = "/" + str(target.relative_to(www))
    return out


def wrk(url: str, conns: int, seconds: int, script: Path | None = None) -> dict:
    cmd = ["wrk", "-t", str(min(2, conns)), "-c", str(conns), "-d", f"{seconds}s", "--latency", "--timeout", "5s"]
    if script:
        # page-load ids unique to this run: a repeated id is (rightly) counted once
        run_script = script.with_name(f"{uuid.uuid4().hex}.lua")
        run_script.write_text(script.read_text().replace("NONCE", uuid.uuid4().hex[:8]))
        cmd += ["-s", str(run_script)]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)] if p99 else 0
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    done = re.search(r"(\d+) requests in", out)
    return {"requests": int(done.group(1)) if done else 0, "rps": rps, "p99_ms": float(p99.group(1)) * scale if p99 else None,
            "non_2xx": int(errors.group(1)) if errors else 0}


def run(seconds: int, conns: list[int], server: list[str]) -> dict:
    work = Path(tempfile.mkdtemp(prefix="delivery-bench-"))
    work.chmod(0o755)  # nginx workers run as an unprivileged user when started by root
    procs = []
    try:
        art = prepare(work / "var")
        app_port, nginx_port = free_port(), free_port()
        env = {**os.environ, "HERITAGE_AR_DATA_DIR": str(work / "var"), "HERITAGE_AR_START_WORKER": "false",
               "HERITAGE_AR_BASE_URL": f"http://127.0.0.1:{app_port}",
               "HERITAGE_AR_RATELIMIT_ENABLED": "false"}  # wrk is one client address
        procs.append(subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--production", "--port",
                                       str(app_port), *server], env=env, cwd=ROOT, start_new_session=True))
        app_url = f"http://127.0.0.1:{app_port}"
        wait_up(app_url + "/healthz")
        routes = paths(art, app_port)
        nginx_dir = work / "nginx"
        for sub in ("tmp", "cache"):
            (nginx_dir / sub).mkdir(parents=True)
            (nginx_dir / sub).chmod(0o777)
        nginx_dir.chmod(0o755)
        nginx_routes = static_copy(app_url, routes, nginx_dir / "www")
        (nginx_dir / "nginx.conf").write_text(NGINX.format(dir=nginx_dir, port=nginx_port))
        front_port = free_port()
        front = FRONT.read_text().replace("@LISTEN@", f"127.0.0.1:{front_port}").replace(
            "@APP@", f"127.0.0.1:{app_port}").replace("@CACHE@", str(nginx_dir / "cache")).replace(
            "@BEACONS@", str(nginx_dir / "tmp" / "beacons.log"))
        (nginx_dir / "front.conf").write_text(front)
        procs.append(subprocess.Popen(["nginx", "-c", str(nginx_dir / "nginx.conf"), "-g", "daemon off;"],
                                      start_new_session=True))
        nginx_url, front_url = f"http://127.0.0.1:{nginx_port}", f"http://127.0.0.1:{front_port}"
        wait_up(nginx_url + nginx_routes["page"])
        for base, table_ in ((app_url, routes), (nginx_url, nginx_routes), (front_url, routes)):
            for name, path in table_.items():
                status = requests.get(base + path, timeout=30).status_code
                if status != 200:
                    raise RuntimeError(f"delivery: {base + path} answered {status}; see {nginx_dir}/error.log")
        scripts = {}
        for name, text in (("beacon", BEACON), ("mix", MIX)):
            scripts[name] = work / f"{name}.lua"
            scripts[name].write_text(text.replace("SLUG", art["slug"]))
        results: dict = {"conns": conns, "seconds": seconds, "rows": []}
        for c in conns:
            for name in routes:
                app = wrk(app_url + routes[name], c, seconds)
                ngx = wrk(nginx_url + nginx_routes[name], c, seconds)
                fronted = wrk(front_url + routes[name], c, seconds)
                results["rows"].append({"endpoint": name, "conns": c, "app": app, "nginx": ngx, "front": fronted})
            for name in ("beacon", "mix"):
                results["rows"].append({"endpoint": name, "conns": c, "app": wrk(app_url, c, seconds, scripts[name]),
                                        "nginx": None, "front": wrk(front_url, c, seconds, scripts[name])})
        stop(procs)  # production workers write their last counts as they exit; nginx flushes its log
        results["counts"] = check_counts(work / "var", nginx_dir / "tmp" / "beacons.log", art["slug"], results)
        return results
    finally:
        stop(procs)
        shutil.rmtree(work, ignore_errors=True)


def stop(procs: list) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM if proc.args[0] != "nginx" else signal.SIGQUIT)
            proc.wait(timeout=60)


def check_counts(data_dir: Path, beacon_log: Path, slug: str, results: dict) -> dict:
    """Beacons the database holds after the app's workers exited and count-log read nginx's log, vs beacons sent."""
    from sqlalchemy import func
    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    from service.beacon_log import LogCounter
    from service.db import make_engine
    from service.db.models import Artefact
    from service.db.models import DailyCount

    engine = make_engine("sqlite:///" + str(data_dir / "heritage-ar.db"))
    counter = LogCounter(beacon_log, sessionmaker(engine))
    counter.read()
    counter.flush()
    with sessionmaker(engine)() as db:
        counted = db.scalar(select(func.sum(DailyCount.count)).join(Artefact, Artefact.id == DailyCount.artefact_id)
                            .where(Artefact.slug == slug))
    engine.dispose()
    sent = slack = 0
    for row in results["rows"]:
        for target in ("app", "front"):
            if row["endpoint"] in ("beacon", "mix") and row[target]:
                n = row[target]["requests"]
                sent += n if row["endpoint"] == "beacon" else n - (n + 3) // 4
                slack += row["conns"] + (min(2, row["conns"]) if row["endpoint"] == "mix" else 0)
    return {"sent": sent, "counted": int(counted or 0), "in_flight_allowance": slack}


def _cell(result: dict | None, nginx: dict | None = None) -> str:
    if result is None:
        return "— | — |"
    bad = f" ({result['non_2xx']} non-2xx)" if result["non_2xx"] else ""
    ratio = f" ({result['rps'] / nginx['rps']:.2f}x)" if nginx else ""
    return f"{result['rps']:,.0f}{ratio}{bad} | {result['p99_ms']:.1f} |"


def table(results: dict) -> str:
    lines = ["| endpoint | conns | app req/s (x nginx) | p99 ms | nginx front -> app req/s (x nginx) | p99 ms "
             "| nginx static req/s | p99 ms |", "|---|---|---|---|---|---|---|---|"]
    for row in results["rows"]:
        lines.append(f"| {row['endpoint']} | {row['conns']} | {_cell(row['app'], row['nginx'])} "
                     f"{_cell(row['front'], row['nginx'])} {_cell(row['nginx'])}")
    return "\n".join(lines)


def plot(results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 6))
    names = list(dict.fromkeys(r["endpoint"] for r in results["rows"]))
    for i, name in enumerate(names):
        rows = [r for r in results["rows"] if r["endpoint"] == name]
        colour = f"C{i}"
        conns = [r["conns"] for r in rows]
        left.plot(conns, [r["app"]["rps"] for r in rows], "-o", color=colour, label=f"{name} (app)")
        right.plot(conns, [r["app"]["p99_ms"] for r in rows], "-o", color=colour, label=f"{name} (app)")
        if rows[0]["nginx"]:
            left.plot(conns, [r["nginx"]["rps"] for r in rows], ":", color=colour, label=f"{name} (nginx static)")
            right.plot(conns, [r["nginx"]["p99_ms"] for r in rows], ":", color=colour)
        if rows[0]["front"]:
            left.plot(conns, [r["front"]["rps"] for r in rows], "--", color=colour, alpha=0.6,
                      label=f"{name} (nginx front)")
            right.plot(conns, [r["front"]["p99_ms"] for r in rows], "--", color=colour, alpha=0.6)
    for ax, label in ((left, "requests/s"), (right, "p99 latency (ms)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("connections (wrk, keep-alive)")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    fig.legend(*left.get_legend_handles_labels(), loc="lower center", ncol=5, fontsize=7)
    fig.suptitle("heritage-ar serve --production (solid), behind nginx micro-cache (dashed), "
                 "nginx static copy (dotted); same run")
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PLOT, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=2)
    parser.add_argument("--conns", default="1,16,64,256")
    parser.add_argument("--plot-only", action="store_true", help="redraw the plot from benchmarks/out/delivery.json")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (default: the server's)")
    args = parser.parse_args()
    server = (["--threads", str(args.threads)] if args.threads else []) + (["--workers", str(args.workers)] if args.workers else [])
    if args.plot_only:
        plot(json.loads((OUT / "delivery.json").read_text()))
        return
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None:
            sys.exit(f"delivery: `{tool}` not found; apt-get install nginx wrk")
    results = run(args.seconds, [int(c) for c in args.conns.split(",")], server)
    results["server"] = server
    OUT.mkdir(exist_ok=True)
    (OUT / "delivery.json").write_text(json.dumps(results, indent=1))
    print(table(results))
    counts = results["counts"]
    print(f"beacons: {counts['sent']:,} sent (wrk), {counts['counted']:,} in daily_counts "
          f"(requests still in flight when wrk stopped may add up to {counts['in_flight_allowance']})")
    plot(results)
    print(f"plot: {PLOT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
