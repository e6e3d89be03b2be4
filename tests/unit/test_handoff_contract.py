"""The route table is the one declaration of the handoff API: the OpenAPI document lists every
route with its auth, its body model and the errors those imply."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from handoff import bodies
from handoff.access import PUBLIC, SUPERVISOR, Auth
from handoff.openapi import document
from handoff.routes import ROUTES, Route


def test_every_route_is_in_the_document_with_its_auth():
    doc = document(ROUTES)
    assert len({(r.method, r.path) for r in ROUTES}) == len(ROUTES)  # declared once
    for route in ROUTES:
        op = doc["paths"][route.path][route.method.lower()]
        assert op["x-auth"] == route.auth.name
        if route.auth.kind == "public":
            assert op["security"] == []
        else:
            assert op["security"] and "401" in op["responses"]
        if route.auth.role or route.auth.kind == "bot":
            assert "403" in op["responses"]
        if route.console:
            assert op["x-console-path"] == route.console


def test_request_bodies_come_from_the_models():
    doc = document(ROUTES)
    schemas = doc["components"]["schemas"]
    # A schema name instead of a model documents a body its handler still checks by hand.
    with_body = [r for r in ROUTES if r.request is not None and not isinstance(r.request, str)]
    assert len(with_body) >= 12
    for route in with_body:
        op = doc["paths"][route.path][route.method.lower()]
        name = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/")[-1]
        assert name == route.request.__name__
        assert schemas[name]["properties"].keys() == route.request.schema()["properties"].keys()
        error = op["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
        assert error.endswith("/Error")
    assert {"fields", "error", "message"} <= set(schemas["Error"]["properties"])
    # the model is what is documented: its limits are in the schema
    assert schemas["AgentMessage"]["properties"]["text"]["maxLength"] == bodies.MAX_TEXT
    assert schemas["Ticket"]["properties"]["trigger"]["enum"][0] == "request_human"


def test_short_spellings_of_auth_mean_the_same():
    assert Auth.of("supervisor") == SUPERVISOR and Auth.of("none") == PUBLIC

    async def handler(request):  # pragma: no cover - never called
        raise AssertionError
    assert Route("GET", "/api/x", handler, "x", "supervisor").auth == SUPERVISOR


@pytest.mark.parametrize("model, data", [
    (bodies.AgentMessage, {"text": "   "}),
    (bodies.AgentMessage, {"text": 5}),
    (bodies.AgentMessage, {"text": "x" * (bodies.MAX_TEXT + 1)}),
    (bodies.Assign, {"agent_id": "3"}),
    (bodies.Ticket, {"conversation_id": "c1", "trigger": "because"}),
    (bodies.KbArticleInput, {"title": "t", "body": "b", "language": "fr"}),
    (bodies.AssistUsed, {"kind": "nope", "ref": "x"}),
    (bodies.QualityVerdict, {"verdict": "maybe"}),
])
def test_bad_bodies_are_refused_by_their_model(model, data):
    with pytest.raises(ValidationError):
        model.parse_obj(data)


def test_bodies_keep_the_lenient_defaults_clients_rely_on():
    assert bodies.Resolve.parse_obj({}).code == "resolved"
    assert bodies.KbQuestion.parse_obj({"question": "x", "language": "fr"}).language == "zh"
    assert bodies.Login.parse_obj({"username": " ann ", "password": "p" * 300}).password == \
        "p" * bodies.MAX_FIELD
    article = bodies.KbArticleInput.parse_obj({"title": " T ", "body": "B", "tags": None})
    assert (article.title, article.tags, article.language) == ("T", [], "zh")
