"""Storage: a --db file survives a restart; concurrent writers through the socket lose nothing."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

AUTH = ("test_conformance_key", "")
THREADS = 8
PER_THREAD = 5


def offer_id(http: httpx.Client) -> str:
    answer = http.post("/personalized_offers", data={"customer_id": "cust_conformance"})
    assert answer.status_code == 200, answer.text
    return answer.json()["personalized_offers"][0]["id"]


def fulfill(http: httpx.Client, po: str, option_id: str = "opt_concierge") -> httpx.Response:
    return http.post("/offer_fulfillments", data={"personalized_offer_id": po, "option_id": option_id})


def test_fulfillment_and_order_db_file_survive_restart(serve, tmp_path):
    db = str(tmp_path / "server.sqlite")
    order_id = "ord_restart_1"
    first = serve("--db", db)
    with httpx.Client(base_url=first.url, auth=AUTH, timeout=10) as http:
        created = fulfill(http, offer_id(http)).json()["offer_fulfillment"]
        ordered = http.post("/orders", data={"id": order_id, "invoice_id": "inv_conformance_001"})
    assert ordered.status_code == 200, ordered.text
    first.stop()
    with httpx.Client(base_url=serve("--db", db).url, auth=AUTH, timeout=10) as http:
        again = http.get(f"/offer_fulfillments/{created['id']}")
        duplicate = http.post("/orders", data={"id": order_id, "invoice_id": "inv_conformance_001"})
        next_one = fulfill(http, offer_id(http)).json()["offer_fulfillment"]
    assert again.status_code == 200 and again.json()["offer_fulfillment"] == created
    assert (duplicate.status_code, duplicate.json()["api_error_code"]) == (400, "duplicate_entry")
    assert next_one["id"] != created["id"]  # the id counter is stored too


def test_fulfillment_concurrent_creates_all_distinct_and_retrievable(client, base_url):
    po = offer_id(client)

    def work(_: int) -> list[str]:
        with httpx.Client(base_url=base_url, auth=AUTH, timeout=30) as http:
            answers = [fulfill(http, po) for _ in range(PER_THREAD)]
        assert all(a.status_code == 202 for a in answers), [a.text for a in answers]
        return [a.json()["offer_fulfillment"]["id"] for a in answers]

    with ThreadPoolExecutor(THREADS) as pool:
        ids = [i for batch in pool.map(work, range(THREADS)) for i in batch]
    assert len(ids) == len(set(ids)) == THREADS * PER_THREAD
    for fulfillment_id in ids:
        answer = client.get(f"/offer_fulfillments/{fulfillment_id}")
        assert answer.status_code == 200 and answer.json()["offer_fulfillment"]["id"] == fulfillment_id


def test_order_concurrent_creates_each_id_exactly_once(client, base_url):
    run = uuid.uuid4().hex[:8]
    wanted = [f"ord_{run}_{n}" for n in range(PER_THREAD)]

    def work(_: int) -> list[tuple[str, int, str | None]]:
        with httpx.Client(base_url=base_url, auth=AUTH, timeout=30) as http:
            answers = [
                (order_id, http.post("/orders", data={"id": order_id, "invoice_id": "inv_conformance_001"}))
                for order_id in wanted
            ]
            generated = http.post("/orders", data={"invoice_id": "inv_conformance_002"})
        assert generated.status_code == 200, generated.text
        return [(i, a.status_code, a.json().get("api_error_code")) for i, a in answers] + [
            (generated.json()["order"]["id"], 200, None)
        ]

    with ThreadPoolExecutor(THREADS) as pool:
        results = [r for batch in pool.map(work, range(THREADS)) for r in batch]
    for order_id in wanted:
        outcomes = sorted((status, code) for i, status, code in results if i == order_id)
        assert outcomes == [(200, None)] + [(400, "duplicate_entry")] * (THREADS - 1), order_id
    generated = [i for i, _, _ in results if i not in wanted]
    assert len(generated) == len(set(generated)) == THREADS
