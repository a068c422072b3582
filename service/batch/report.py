"""
report.py
---------

What a batch run leaves for people: `report.csv` (opens in Excel with
Vietnamese intact: UTF-8 with BOM) and `report.html`, one self-contained
page (no external files: posters and QR codes are embedded as data URIs)
with each artefact's status, error, share link, embed snippet, poster and
QR code. Label sheets are in `labels.py`.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import logging
import time
from collections.abc import Callable
from pathlib import Path

import segno

from service.batch.items import Item
from service.batch.state import State

log = logging.getLogger(__name__)

CSV_FIELDS = ("key", "source", "accession_number", "title_vi", "title_en", "status", "error", "artefact_id",
              "share", "short", "embed", "embed_snippet", "qr", "model", "poster", "job", "api")
LINKS = (("share", "share page"), ("short", "short link"), ("model", "3D model"), ("api", "API"), ("job", "job"))
STATUS_COLOURS = {"ready": "#1b7f3b", "failed": "#b3261e", "invalid": "#b3261e", "interrupted": "#a15c00"}


def report_rows(items: list[Item], state: State) -> list[dict]:
    """One flat row per item: catalogue fields from the manifest, outcome from the state file."""
    rows = []
    for item in items:
        entry = state.get(item.key)
        links = entry.get("links") or {}
        files = entry.get("derivatives") or {}
        title = item.metadata.get("title") if isinstance(item.metadata.get("title"), dict) else {}
        row = {
            "key": item.key,
            "source": item.source,
            "accession_number": item.metadata.get("accession_number") or "",
            "title_vi": title.get("vi", ""),
            "title_en": title.get("en", ""),
            "status": entry.get("status") or "not sent",
            "error": entry.get("error") or "",
            "artefact_id": entry.get("artefact_id") or "",
            "share": links.get("share", ""),
            "short": links.get("short", ""),
            "embed": links.get("embed", ""),
            "qr": links.get("qr", ""),
            "model": files.get("master.glb") or next(iter(files.values()), "") if files else "",
            "poster": entry.get("poster") or "",
            "job": links.get("job", ""),
            "api": links.get("self", ""),
            "derivatives": dict(files),  # HTML only: every file the server made
        }
        row["embed_snippet"] = embed_snippet(row["embed"], row["title_vi"] or row["title_en"]) if row["embed"] else ""
        if entry.get("status") != "ready":
            # a failed artefact has no public page worth printing
            for name in ("share", "short", "embed", "embed_snippet", "qr"):
                row[name] = "" if entry.get("status") in ("failed", "invalid") else row[name]
        rows.append(row)
    return rows


def embed_snippet(embed_url: str, title: str) -> str:
    """The iframe a web editor pastes into the museum's site."""
    return (f'<iframe src="{html.escape(embed_url)}" title="{html.escape(title)}" width="640" height="480" '
            'style="border:0" loading="lazy" allow="xr-spatial-tracking; fullscreen" allowfullscreen></iframe>')


def qr_link(row: dict, prefer: str = "share") -> str:
    """The URL a label's QR code opens: the share page (or its short link)."""
    other = "short" if prefer == "share" else "share"
    return row.get(prefer) or row.get(other) or ""


def write_csv(rows: list[dict], path: Path) -> Path:
    """`report.csv`, UTF-8 with BOM so Excel shows diacritics."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def qr_svg_data_uri(url: str) -> str:
    """A QR code as an inline SVG data URI (error correction M, quiet zone kept)."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=3, border=4)


def write_html(rows: list[dict], path: Path, *, title: str, fetch: Callable[[str], bytes | None] | None = None,
               qr_prefer: str = "share") -> Path:
    """`report.html`: one self-contained page, safe to e-mail or archive.

    Parameters
    ----------
    fetch : callable(url) -> bytes or None
      Downloads a poster; its thumbnail is embedded. None: no thumbnails.
    """
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    body = []
    for row in rows:
        thumb = _thumbnail(row["poster"], fetch) if row["poster"] and fetch else None
        link = qr_link(row, qr_prefer)
        error = f"<div class=error>{_e(row['error'])}</div>" if row["error"] else ""
        colour = STATUS_COLOURS.get(row["status"], "#555")
        links = "<br>".join(f'<a href="{_e(row[k])}">{label}</a>' for k, label in LINKS if row[k])
        others = [f'<a href="{_e(url)}">{_e(name)}</a>' for name, url in sorted(row.get("derivatives", {}).items())
                  if url and url != row["model"]]
        if others:
            links += f"<details><summary>all files ({len(others) + 1})</summary>{' '.join(others)}</details>"
        snippet = f"<textarea readonly rows=4>{_e(row['embed_snippet'])}</textarea>" if row["embed_snippet"] else ""
        poster = f"<img class=poster alt=poster src={_attr(thumb)}>" if thumb else ""
        qr = f"<img class=qr alt={_attr(link)} src={_attr(qr_svg_data_uri(link))}>" if link else ""
        cells = [
            f"<td>{poster}</td>",
            (f"<td><b>{_e(row['title_vi'] or row['title_en'])}</b><br><span lang=en>{_e(row['title_en'])}</span>"
             f"<br><small>{_e(row['accession_number'])} · {_e(row['source'])}</small></td>"),
            f'<td><span class=status style="color:{colour}">{_e(row["status"])}</span>{error}</td>',
            f"<td>{links}</td>",
            f"<td>{snippet}</td>",
            f"<td>{qr}</td>",
        ]
        body.append(f'<tr class="{_e(row["status"])}" data-key="{_e(row["key"])}">' + "".join(cells) + "</tr>")
    page = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{_e(title)}</title>
<style>
body{{font-family:system-ui,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:1.5rem;color:#222}}
table{{border-collapse:collapse;width:100%}} td,th{{border-bottom:1px solid #ddd;padding:.5rem;vertical-align:top;
text-align:left}} .poster{{width:120px;height:120px;object-fit:contain;background:#f4f4f4}} .qr{{width:110px}}
.status{{font-weight:600}} .error{{color:#b3261e;max-width:28rem;font-size:.9rem}} textarea{{width:18rem;
font-size:.75rem}} small{{color:#666}}
@media print{{textarea{{display:none}}}}
</style></head><body>
<h1>{_e(title)}</h1>
<p>{len(rows)} artefacts: {_e(summary)}. Generated {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}.</p>
<table><thead><tr><th>Poster</th><th>Artefact</th><th>Status</th><th>Links</th><th>Embed</th><th>QR</th></tr>
</thead><tbody>
{chr(10).join(body)}
</tbody></table></body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _thumbnail(url: str, fetch: Callable[[str], bytes | None]) -> str | None:
    from PIL import Image

    data = fetch(url)
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.thumbnail((240, 240))
            out = io.BytesIO()
            img.convert("RGB").save(out, format="JPEG", quality=80)
    except Exception:  # noqa: BLE001 - a bad poster must not break the report
        log.warning("report: poster %s is not a readable image", url, exc_info=True)
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def _e(text: object) -> str:
    return html.escape(str(text or ""))


def _attr(text: str) -> str:
    return '"' + html.escape(text, quote=True) + '"'
