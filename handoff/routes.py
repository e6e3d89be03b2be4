"""Every route of the handoff service, declared once.

One line of the table is the whole contract of an endpoint: the middlewares (handoff.access,
handoff.errors) enforce its auth and validate its body before the handler runs, the OpenAPI
document (handoff.openapi) is built from it, and the console mounts the same handler when the
line names a console path. To add an endpoint:

    Route("POST", "/api/cases/{case_id}/notes", cases.add_note, "Add a note to a case",
          AGENT_SESSION, request=bodies.CaseNote, response="CaseNote", status=201,
          errors=[404], console="/console/api/cases/{case_id}/notes")

- auth: PUBLIC, BOT (HMAC-signed by the bot side), AGENT_SESSION, SUPERVISOR or DESIGNER (a session
  with that role; supervisors may also design); the short strings "none", "bot", "agent",
  "supervisor", "designer" mean the same.
- request: a pydantic model (handoff.bodies, or a module of the feature); the handler reads
  `body_of(request)`, and the OpenAPI document takes the model's schema. A bad body gets 400
  `{"error": <invalid>, "message", "fields": [{"field", "problem"}]}`. Every body has a
  model: no handler parses one itself (tests/unit/test_handoff_contract.py).
- response: the name of a schema in handoff.openapi.SCHEMAS; status: the success status.
- errors: statuses beyond those the auth and the body already imply (401, 403, 400).
- the handler reads the caller with `access.agent_of(request)`; store errors (NotFound,
  Forbidden, Conflict) and `errors.ApiError` become JSON errors by themselves.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Awaitable, Callable, Dict, List, Optional, Sequence, Type, Union

from aiohttp import web
from pydantic import BaseModel

from handoff import api_agents as agents
from handoff import api_bot as bot
from handoff import bodies
from handoff.access import (AGENT_SESSION, API, BOT, CONSOLE, DECLARED, PUBLIC, SUPERVISOR,
                            Auth)
from handoff.aftersales import api as aftersales
from handoff.aftersales import bodies as as_bodies
from handoff.assist import api as assist
from handoff.console.mount import setup_console
from handoff.kb import api as kb
from handoff.metrics import api as metrics
from handoff.openapi import document
from handoff.quality import api as quality
from handoff.studio import api as studio
from handoff.studio import bodies as studio_bodies
from handoff.studio import pages as studio_pages

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    auth: Union[Auth, str] = PUBLIC
    request: Optional[Type[BaseModel]] = None  # the body's model
    response: Optional[str] = None  # schema name of the success body
    status: int = 200
    errors: Sequence[int] = ()
    query: Dict[str, str] = field(default_factory=dict)
    console: Optional[str] = None  # the same handler in the console, behind its session
    invalid: str = "bad_body"  # the error code of a body that fails its model
    body_optional: bool = False  # an empty body means the model's defaults
    max_body: Optional[int] = None  # bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "auth", Auth.of(self.auth))


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document(ROUTES))


C = "/console/api"
TICKET_ERRORS = [403, 404]
ROUTES: List[Route] = [
    Route("GET", "/api/openapi.json", openapi, "This OpenAPI 3 document", PUBLIC,
          response="OpenAPI"),
    Route("GET", "/api/health", bot.health, "Health: database, Redis, stream lag, consumers "
          "and relay; 503 with the problems when degraded", PUBLIC, response="Health",
          errors=[503]),
    Route("GET", "/health", bot.health, "Same as /api/health (for process supervisors)", PUBLIC,
          response="Health", errors=[503]),
    Route("GET", "/api/ready", bot.ready, "Readiness: started, database and Redis answer; 503 "
          "if not", PUBLIC, response="Health", errors=[503]),
    Route("GET", "/ready", bot.ready, "Same as /api/ready", PUBLIC, response="Health",
          errors=[503]),
    # bot side
    Route("POST", "/api/bot/handoffs", bot.post_handoff,
          "Hand a conversation over (idempotent on handoff_id); says where the shopper stands",
          BOT, request=bodies.Ticket, response="Placement", status=201, invalid="bad_ticket"),
    Route("GET", "/api/bot/conversations/{conversation_id}/ticket", bot.conversation_ticket,
          "The open ticket of a conversation", BOT, response="TicketSummary", errors=[404]),
    Route("POST", "/api/bot/typing", bot.post_typing,
          "The shopper is typing: a live 'typing' event for the conversation's open ticket",
          BOT, request=bodies.Typing, response="Ok", errors=[404], max_body=bot.MAX_BODY),
    Route("POST", "/api/bot/received", bot.post_received,
          "The shopper's widget showed an agent's message: it becomes 'delivered'",
          BOT, request=bodies.Receipt, response="Ok", errors=[404], max_body=bot.MAX_BODY),
    # agents
    Route("POST", "/api/agents/login", agents.login, "Log in; returns a bearer token and sets "
          "an HttpOnly session cookie", PUBLIC, request=bodies.Login, response="Session",
          errors=[401, 429], invalid="bad_field"),
    Route("POST", "/api/agents/logout", agents.logout, "End this session", AGENT_SESSION,
          response="Ok"),
    Route("GET", "/api/agents/me", agents.me, "The logged-in agent", AGENT_SESSION,
          response="Agent"),
    Route("GET", "/api/queues", agents.queues, "Waiting and in-progress counts per queue",
          AGENT_SESSION, response="Queues"),
    Route("GET", "/api/tickets", agents.list_tickets, "Tickets of my queues, most urgent first",
          AGENT_SESSION, response="TicketList", errors=[400], console=C + "/tickets",
          query={"status": "comma list of statuses or 'open' (default waiting,transferred)",
                 "queue": "one queue", "mine": "1: only tickets assigned to me"}),
    Route("GET", "/api/tickets/{ticket_id}", agents.get_ticket,
          "A ticket with the full warm-transfer package, messages and event history",
          AGENT_SESSION, response="TicketDetail", errors=TICKET_ERRORS,
          console=C + "/tickets/{ticket_id}"),
    Route("POST", "/api/tickets/{ticket_id}/claim", agents.claim,
          "Claim a waiting ticket (409 when someone else has it)", AGENT_SESSION,
          response="TicketSummary", errors=TICKET_ERRORS + [409],
          console=C + "/tickets/{ticket_id}/claim"),
    Route("GET", "/api/tickets/{ticket_id}/messages", agents.list_messages,
          "Messages exchanged during the handoff", AGENT_SESSION, response="MessageList",
          errors=TICKET_ERRORS),
    Route("POST", "/api/tickets/{ticket_id}/messages", agents.post_message,
          "Send a message to the shopper (idempotent on client_id)", AGENT_SESSION,
          request=bodies.AgentMessage, response="Message", status=201,
          errors=TICKET_ERRORS + [409], invalid="bad_field",
          console=C + "/tickets/{ticket_id}/messages"),
    Route("POST", "/api/tickets/{ticket_id}/transfer", agents.transfer,
          "Transfer to another queue with a note; the context stays", AGENT_SESSION,
          request=bodies.Transfer, response="TicketSummary", errors=TICKET_ERRORS + [409],
          invalid="bad_field", console=C + "/tickets/{ticket_id}/transfer"),
    Route("POST", "/api/tickets/{ticket_id}/resolve", agents.resolve,
          "Resolve: the bot resumes, asks 'anything else?' and for a 1-5 CSAT", AGENT_SESSION,
          request=bodies.Resolve, response="TicketSummary", errors=TICKET_ERRORS + [409],
          body_optional=True, console=C + "/tickets/{ticket_id}/resolve"),
    Route("POST", "/api/tickets/{ticket_id}/assign", agents.assign,
          "Supervisor: (re)assign an open ticket to an agent of its queue", SUPERVISOR,
          request=bodies.Assign, response="TicketSummary", errors=TICKET_ERRORS + [409],
          invalid="bad_field", console=C + "/tickets/{ticket_id}/reassign"),
    Route("POST", "/api/tickets/{ticket_id}/typing", agents.typing,
          "The agent who holds the ticket is typing: shown to others watching it and to the "
          "shopper's web widget (403 for anyone else)", AGENT_SESSION, response="Ok",
          errors=TICKET_ERRORS, console=C + "/tickets/{ticket_id}/typing"),
    Route("GET", "/api/agents", agents.list_agents, "Supervisor: active agents and who is online",
          SUPERVISOR, response="AgentList"),
    Route("POST", "/api/tickets/{ticket_id}/notes", agents.add_note,
          "Add an internal note (never shown to the shopper)", AGENT_SESSION,
          request=bodies.Note, response="TicketEvent", status=201, errors=TICKET_ERRORS,
          invalid="bad_field", console=C + "/tickets/{ticket_id}/notes"),
    Route("GET", "/api/ws", agents.websocket,
          "WebSocket of live events (ticket.new, ticket.updated, ticket.escalated, "
          "message.new, message.delivered, ticket.note, typing), opened by a hello once "
          "the socket is subscribed (re-read the queue after it); the session token as "
          "bearer or the login's session cookie (never in the URL). Closed with 4401 when "
          "the session ends (logout, account disabled) and 4403 when the agent's queues "
          "or role change",
          AGENT_SESSION, response="LiveEvent", status=101, console="/console/ws"),
]

# knowledge base, metrics, live assist, quality
ROUTES += [
    Route("GET", "/api/kb/articles", kb.list_articles, "Knowledge-base articles (first "
          "paragraph only)", AGENT_SESSION, response="KbArticleList",
          query={"language": "zh or en"}, console=C + "/kb/articles"),
    Route("POST", "/api/kb/articles", kb.create_article, "Supervisor: create an article",
          SUPERVISOR, request=bodies.KbArticleInput, response="KbArticle", status=201,
          invalid="bad_article", console=C + "/kb/articles"),
    Route("GET", "/api/kb/articles/{article_id}", kb.get_article, "One article", AGENT_SESSION,
          response="KbArticle", errors=[404], console=C + "/kb/articles/{article_id}"),
    Route("PUT", "/api/kb/articles/{article_id}", kb.update_article,
          "Supervisor: change an article; the bot answers from it at once", SUPERVISOR,
          request=bodies.KbArticleInput, response="KbArticle", errors=[404],
          invalid="bad_article", console=C + "/kb/articles/{article_id}"),
    Route("DELETE", "/api/kb/articles/{article_id}", kb.delete_article,
          "Supervisor: remove an article", SUPERVISOR, response="Ok", errors=[404],
          console=C + "/kb/articles/{article_id}"),
    Route("GET", "/api/kb/search", kb.search_articles, "Articles for a question, best first, "
          "with their confidence", AGENT_SESSION, response="KbSearch",
          query={"q": "the question", "language": "zh or en"}, console=C + "/kb/search"),
    Route("GET", "/api/kb/misses", kb.list_misses, "Supervisor: questions that found no "
          "article, most asked first", SUPERVISOR, response="KbMisses", errors=[400],
          query={"days": "period in days (default 7)"}, console=C + "/kb/misses"),
    Route("POST", "/api/bot/kb/answer", kb.bot_answer, "The bot's long-tail question: the "
          "article that answers it confidently, else null (and the miss is recorded)", BOT,
          request=bodies.KbQuestion, response="KbAnswer", invalid="bad_question"),
    Route("GET", "/api/stats/metrics", metrics.metrics, "Supervisor: FCR, containment, "
          "transfer rate, first response, handling time, CSAT bot/human, NPS, CES (null "
          "where no data), per agent, queue, channel and day (docs/metrics.md)", SUPERVISOR,
          response="Metrics", errors=[400], query={"days": "period in days, 1-366"},
          console=C + "/metrics"),
    Route("GET", "/api/stats/metrics.csv", metrics.metrics_csv, "Supervisor: the same "
          "metrics as CSV", SUPERVISOR, errors=[400], query={"days": "period in days, 1-366"},
          console=C + "/metrics.csv"),
    Route("GET", "/api/tickets/{ticket_id}/assist", assist.suggestions, "Live assist: ranked "
          "suggested replies for a shopper message (default: the latest), the order's policy "
          "card and the message's emotion", AGENT_SESSION, response="Assist",
          errors=[400] + TICKET_ERRORS, query={"message_id": "a shopper message of the ticket"},
          console=C + "/tickets/{ticket_id}/assist"),
    Route("POST", "/api/tickets/{ticket_id}/assist/used", assist.suggestion_used,
          "Count a suggestion the agent inserted (kind, ref, edited)", AGENT_SESSION,
          request=bodies.AssistUsed, response="Ok", status=201, errors=TICKET_ERRORS,
          invalid="bad_suggestion", console=C + "/tickets/{ticket_id}/assist/used"),
    Route("GET", "/api/tickets/{ticket_id}/quality", quality.ticket_quality, "Quality "
          "inspection of a ticket: score 0-100 and the rules it hit", AGENT_SESSION,
          response="Quality", errors=TICKET_ERRORS, query={"lang": "zh or en (rule labels)"},
          console=C + "/tickets/{ticket_id}/quality"),
    Route("GET", "/api/quality/reviews", quality.review_queue, "Supervisor: sampled "
          "conversations awaiting (or with) a verdict, lowest score first", SUPERVISOR,
          response="QualityReviews", query={"status": "pending (default) or reviewed",
                                            "lang": "zh or en"},
          console=C + "/quality/reviews"),
    Route("POST", "/api/quality/reviews/{ticket_id}", quality.verdict, "Supervisor: the "
          "reviewer's verdict on a ticket (pass, coach, fail) with a note", SUPERVISOR,
          request=bodies.QualityVerdict, response="Quality", errors=[404], invalid="bad_field",
          console=C + "/quality/reviews/{ticket_id}"),
    Route("GET", "/kb/{article_id}", kb.public_article, "An article as a page (the link in "
          "the bot's answer)", PUBLIC, errors=[404]),
]

# after-sales: cases, compensation, customer 360
CASE_ERRORS = [401, 404]
ROUTES += [
    Route("GET", "/api/tickets/{ticket_id}/customer", aftersales.customer_360, "Customer 360: "
          "all the customer's orders, earlier tickets with CSAT, conversations on other "
          "channels, cases, grants and agents' notes", "agent", response="Customer360",
          errors=TICKET_ERRORS,
          console=C + "/tickets/{ticket_id}/customer"),
    Route("POST", "/api/tickets/{ticket_id}/customer/notes", aftersales.add_customer_note,
          "Leave a note on the customer for the next agent", "agent", request=bodies.Note,
          response="CustomerNote", status=201, errors=TICKET_ERRORS, invalid="bad_field",
          console=C + "/tickets/{ticket_id}/customer/notes"),
    Route("POST", "/api/tickets/{ticket_id}/cases", aftersales.open_case, "Open an after-sales "
          "case for the ticket's customer (owner department and resolution SLA from "
          "cases.yml)", "agent", request=as_bodies.CaseInput, response="Case", status=201,
          errors=[400] + TICKET_ERRORS, invalid="bad_field",
          console=C + "/tickets/{ticket_id}/aftersales/cases"),
    Route("GET", "/api/cases", aftersales.list_cases, "After-sales cases, due first", "agent",
          response="CaseList", errors=[401],
          query={"department": "one department", "status": "a status or 'unresolved'",
                 "overdue": "1: only unresolved cases past their resolution SLA"},
          console=C + "/cases"),
    Route("GET", "/api/cases/{case_id}", aftersales.get_case, "A case with its history",
          "agent", response="Case", errors=CASE_ERRORS,
          console=C + "/cases/{case_id}"),
    Route("POST", "/api/cases/{case_id}", aftersales.update_case, "Change a case's status "
          "and/or department with a note; a status change is told to the shopper on their "
          "channel", "agent", request=as_bodies.CaseChange, response="Case",
          errors=[400] + CASE_ERRORS, invalid="bad_field",
          console=C + "/cases/{case_id}"),
    Route("POST", "/api/cases/{case_id}/notes", aftersales.add_case_note, "Add a note to a "
          "case's history", "agent", request=bodies.Note, response="CaseEvent", status=201,
          errors=CASE_ERRORS, invalid="bad_field",
          console=C + "/cases/{case_id}/notes"),
    Route("POST", "/api/tickets/{ticket_id}/grants", aftersales.request_grant, "Compensate "
          "(coupon, partial refund, reship): granted within the agent's authority, else "
          "pending a supervisor's approval; 403 beyond every limit", "agent",
          request=as_bodies.GrantInput, response="Grant", status=201,
          errors=[400] + TICKET_ERRORS, invalid="bad_field",
          console=C + "/tickets/{ticket_id}/aftersales/grants"),
    Route("GET", "/api/grants", aftersales.list_grants, "Supervisor: compensation awaiting "
          "approval", "agent", response="GrantList", errors=[401, 403],
          console=C + "/grants"),
    Route("POST", "/api/grants/{grant_id}/decision", aftersales.decide_grant, "Supervisor: "
          "approve or reject a pending grant (within the supervisor's own authority)",
          "agent", request=as_bodies.GrantDecision, response="Grant",
          errors=[401, 403, 404, 409], invalid="bad_field",
          console=C + "/grants/{grant_id}/decision"),
    Route("GET", "/api/compensation/limits", aftersales.my_limits, "The logged-in agent's "
          "authority level and limits", "agent", response="Limits", errors=[401],
          console=C + "/compensation/limits"),
    Route("POST", "/api/bot/cases", aftersales.bot_open_case, "A case the bot opened "
          "(idempotent on case_ref)", "bot", request=as_bodies.BotCase, response="Case",
          status=201, errors=[400], invalid="bad_case"),
    Route("POST", "/api/bot/cases/lookup", aftersales.bot_cases, "The shopper's cases (by "
          "verified customer or conversation), for the bot's answer", "bot",
          request=as_bodies.CaseLookup, response="CaseList", body_optional=True),
]

# designer studio: review conversations, turn them into training data, train and compare
DESIGNER_ERRORS = [400, 401, 403]
ROUTES += [
    Route("GET", "/api/designer/conversations", studio.conversations, "Designer: recent "
          "conversations, newest first, each with its turns; every shopper turn with the "
          "predicted intent, confidence, entities, emotion and the actions taken (personal "
          "data masked)", "designer", response="DesignerConversations", errors=DESIGNER_ERRORS,
          query={"limit": "1-200 (default 20)", "channel": "one channel", "language": "zh or en",
                 "from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "intent": "a predicted intent",
                 "fallback": "1/0", "handed_off": "1/0", "low_csat": "1: CSAT 1-2",
                 "abandoned": "1/0: a flow or form left unfinished", "tag": "a tag",
                 "q": "words in a turn"},
          console=C + "/designer/conversations"),
    Route("GET", "/api/designer/conversations/{conversation_id}", studio.conversation,
          "Designer: one conversation", "designer", response="DesignerConversation",
          errors=[401, 403, 404],
          console=C + "/designer/conversations/{conversation_id}"),
    Route("PUT", "/api/designer/conversations/{conversation_id}/tags", studio.set_tags,
          "Designer: set a conversation's tags", "designer",
          request=studio_bodies.DesignerTagsInput, response="DesignerTags",
          errors=DESIGNER_ERRORS + [404], invalid="bad_field",
          console=C + "/designer/conversations/{conversation_id}/tags"),
    Route("POST", "/api/designer/turns/{turn_id}/correction", studio.correct_turn,
          "Designer: the correct intent and/or entities of a shopper turn", "designer",
          request=studio_bodies.DesignerCorrection, response="DesignerTurn",
          errors=DESIGNER_ERRORS + [404], invalid="bad_field",
          console=C + "/designer/turns/{turn_id}/correction"),
    Route("GET", "/api/designer/vocabulary", studio.vocabulary, "Designer: the domain's "
          "intents and entities", "designer", response="DesignerVocabulary", errors=[401, 403],
          console=C + "/designer/vocabulary"),
    Route("POST", "/api/designer/training/preview", studio.preview, "Designer: the diff that "
          "turning turns into NLU examples (kind nlu) or a conversation into a story (story) "
          "or test story (test) would make; nothing is written", "designer",
          request=studio_bodies.DesignerChange, response="DesignerChanges",
          errors=DESIGNER_ERRORS, invalid="bad_field",
          console=C + "/designer/training/preview"),
    Route("POST", "/api/designer/training/apply", studio.apply, "Designer: write that change "
          "into the YAML files (placeholders instead of personal data)", "designer",
          request=studio_bodies.DesignerChange, response="DesignerChanges",
          errors=DESIGNER_ERRORS, invalid="bad_field",
          console=C + "/designer/training/apply"),
    Route("POST", "/api/designer/train", studio.start_training, "Designer: validate, train a "
          "candidate model and evaluate it against the current one, in the background",
          "designer", response="DesignerJob", status=201, errors=[401, 403, 409],
          console=C + "/designer/train"),
    Route("GET", "/api/designer/train/{job_id}", studio.training_job, "Designer: a training "
          "job's steps and the comparison", "designer", response="DesignerJob",
          errors=[401, 403, 404],
          console=C + "/designer/train/{job_id}"),
    Route("POST", "/api/designer/train/{job_id}/accept", studio.accept, "Designer: the bot "
          "switches to the candidate model now (Rasa PUT /model, no restart)", "designer",
          response="DesignerJob", errors=[401, 403, 404, 409],
          console=C + "/designer/train/{job_id}/accept"),
]


def add_routes(app: web.Application) -> None:
    """Mount every route (and its console twin); the middlewares find them in DECLARED."""
    declared: dict = {}
    for route in ROUTES:
        declared[app.router.add_route(route.method, route.path, route.handler)] = (route, API)
        if route.console:
            mounted = app.router.add_route(route.method, route.console, route.handler)
            declared[mounted] = (route, CONSOLE)
    app[DECLARED] = declared
    setup_console(app)  # the agent console's HTML pages under /console
    studio_pages.setup(app)  # the studio's page and its training jobs
