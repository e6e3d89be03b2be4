"""The route table is the one declaration of the handoff API: the OpenAPI document lists every
route with its auth, its body model and the errors those imply."""
from __future__ import annotations

import inspect
import sys

import pytest
from pydantic import BaseModel, ValidationError

from handoff import bodies
from handoff.aftersales import bodies as aftersales_bodies
from handoff.studio import bodies as studio_bodies
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
    with_body = [r for r in ROUTES if r.request is not None]
    assert len(with_body) >= 24
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
    assert "open" in schemas["CaseChange"]["properties"]["status"]["enum"]
    assert "coupon" in schemas["GrantInput"]["properties"]["kind"]["enum"]  # compensation.yml
    assert "damaged_item" in schemas["CaseInput"]["properties"]["kind"]["enum"]  # cases.yml
    assert schemas["DesignerChange"]["properties"]["kind"]["enum"] == ["nlu", "story", "test"]


def test_every_body_has_a_model_and_no_handler_reads_one_itself():
    """A body is declared as a model in the table (validated by the middleware, documented
    from the model), never parsed by hand in a handler's module."""
    for route in ROUTES:
        if route.request is not None:
            assert inspect.isclass(route.request) and issubclass(route.request, BaseModel), \
                f"{route.method} {route.path}: its body needs a pydantic model"
    modules = {sys.modules[r.handler.__module__] for r in ROUTES}
    assert {"handoff.aftersales.api", "handoff.studio.api"} <= {m.__name__ for m in modules}
    for module in modules:
        source = inspect.getsource(module)
        for reading in ("request.json(", "request.read(", "request.post(", "read_json(",
                        "request.text(", "text_field("):
            assert reading not in source, f"{module.__name__} reads a body by hand ({reading})"


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
    (bodies.Note, {"text": ""}),
    (aftersales_bodies.CaseInput, {"kind": "nonsense"}),
    (aftersales_bodies.CaseInput, {"kind": "refund", "priority": "urgent"}),
    (aftersales_bodies.CaseInput, {"kind": "refund", "department": "marketing"}),
    (aftersales_bodies.CaseChange, {"status": "lost"}),
    (aftersales_bodies.CaseChange, {"status": 3}),
    (aftersales_bodies.CaseChange, {"tell_shopper": "no"}),
    (aftersales_bodies.GrantInput, {"kind": "coupon", "reason": "late_delivery",
                                    "amount": "abc", "order_id": "E1"}),
    (aftersales_bodies.GrantInput, {"kind": "coupon", "reason": "late_delivery",
                                    "amount": -5, "order_id": "E1"}),
    (aftersales_bodies.GrantInput, {"kind": "coupon", "reason": "late_delivery",
                                    "amount": True, "order_id": "E1"}),
    (aftersales_bodies.GrantInput, {"kind": "cash", "reason": "late_delivery",
                                    "amount": 5, "order_id": "E1"}),
    (aftersales_bodies.GrantInput, {"kind": "coupon", "reason": "whim",
                                    "amount": 5, "order_id": "E1"}),
    (aftersales_bodies.GrantDecision, {"approve": "yes"}),
    (aftersales_bodies.BotCase, {"case_ref": "AS1"}),
    (aftersales_bodies.CaseLookup, {"customer_id": 5}),
    (studio_bodies.DesignerTagsInput, {"tags": ["x" * 33]}),
    (studio_bodies.DesignerTagsInput, {"tags": "a,b"}),
    (studio_bodies.DesignerCorrection, {"intent": "  "}),
    (studio_bodies.DesignerCorrection, {"entities": [{"entity": "phone"}]}),
    (studio_bodies.DesignerCorrection, {"actions": ["utter_x"] * 11}),
    (studio_bodies.DesignerChange, {"kind": "rules"}),
    (studio_bodies.DesignerChange, {"kind": "nlu", "turn_ids": []}),
    (studio_bodies.DesignerChange, {"kind": "story"}),
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
    # console forms send "" for a field left empty; the bot sends null for what it lacks
    case = aftersales_bodies.CaseInput.parse_obj({"kind": "refund", "description": "",
                                                  "priority": "", "department": ""})
    assert (case.priority, case.department, case.description) == ("normal", None, None)
    change = aftersales_bodies.CaseChange.parse_obj({"status": "", "department": "",
                                                     "note": ""})
    assert (change.status, change.department, change.note, change.tell_shopper) == \
        (None, None, "", True)
    grant = aftersales_bodies.GrantInput.parse_obj({"kind": "refund", "reason": "damaged_item",
                                                    "amount": "299.5", "order_id": "E1"})
    assert str(grant.amount) == "299.50" and grant.note == ""
    bot = aftersales_bodies.BotCase.parse_obj({"case_ref": "AS1", "kind": "odd", "priority":
                                               "urgent", "language": None, "photo_url": None,
                                               "description": "d" * 5000})
    assert (bot.priority, bot.language, len(bot.description)) == ("normal", "zh", 4000)
    lookup = aftersales_bodies.CaseLookup.parse_obj({"order_ids": ["E1"] * 30, "language": "fr"})
    assert (len(lookup.order_ids), lookup.language) == (20, "zh")
