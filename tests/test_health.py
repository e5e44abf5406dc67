def test_it_answers_the_health_check(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"ok": True}
