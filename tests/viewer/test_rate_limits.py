"""A beacon flood from one address moves the counter by at most the limit."""

from __future__ import annotations


def test_beacon_flood_moves_the_counter_by_at_most_the_limit(make_ready):
    r = make_ready(ratelimit_beacon="5/minute")
    slug = r.art["links"]["share"].rsplit("/", 1)[-1]
    answers = [r.client.post(f"/b/{slug}/view").status_code for _ in range(40)]
    assert answers.count(204) == 5 and answers.count(429) == 35
    r.app.extensions["flusher"].flush()  # counts reach the database in batches (docs/delivery.md)
    art = r.client.get(f"/api/v1/artefacts/{r.art['id']}", headers=r.auth).get_json()
    assert art["stats"]["page_views"] - r.art["stats"]["page_views"] == 5
    limited = r.client.post(f"/b/{slug}/view")
    assert int(limited.headers["Retry-After"]) >= 1 and limited.get_json()["error"]["code"] == "rate_limited"
    # another address still counts
    assert r.client.post(f"/b/{slug}/view", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 204
