"""Every route of the service, declared once; the OpenAPI document is built from this table."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Awaitable, Callable, Dict, List, Optional

from aiohttp import web

from handoff import api_agents as agents
from handoff import api_bot as bot
from handoff.assist import api as assist
from handoff.console import setup_console
from handoff.kb import api as kb
from handoff.metrics import api as metrics
from handoff.openapi import document
from handoff.quality import api as quality
from handoff.studio import api as studio
from handoff.studio import pages as studio_pages


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    summary: str
    auth: str  # none | agent | bot
    request: Optional[str] = None  # schema name of the JSON body
    response: Optional[str] = None  # schema name of the success body
    status: int = 200
    errors: List[int] = field(default_factory=list)
    query: Dict[str, str] = field(default_factory=dict)


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document(ROUTES))


TICKET_ERRORS = [401, 403, 404]
ROUTES: List[Route] = [
    Route("GET", "/api/openapi.json", openapi, "This OpenAPI 3 document", "none",
          response="OpenAPI"),
    Route("GET", "/api/health", bot.health, "Health: database, Redis, stream lag, consumers "
          "and relay; 503 with the problems when degraded", "none", response="Health",
          errors=[503]),
    Route("GET", "/health", bot.health, "Same as /api/health (for process supervisors)", "none",
          response="Health", errors=[503]),
    Route("GET", "/api/ready", bot.ready, "Readiness: started, database and Redis answer; 503 "
          "if not", "none", response="Health", errors=[503]),
    Route("GET", "/ready", bot.ready, "Same as /api/ready", "none", response="Health",
          errors=[503]),
    # bot side
    Route("POST", "/api/bot/handoffs", bot.post_handoff,
          "Hand a conversation over (idempotent on handoff_id); says where the shopper stands",
          "bot", request="Ticket", response="Placement", status=201, errors=[400, 401, 403]),
    Route("GET", "/api/bot/conversations/{conversation_id}/ticket", bot.conversation_ticket,
          "The open ticket of a conversation", "bot", response="TicketSummary",
          errors=[401, 403, 404]),
    Route("POST", "/api/bot/typing", bot.post_typing,
          "The shopper is typing: a live 'typing' event for the conversation's open ticket",
          "bot", request="Typing", response="Ok", errors=[400, 401, 403, 404]),
    Route("POST", "/api/bot/received", bot.post_received,
          "The shopper's widget showed an agent's message: it becomes 'delivered'",
          "bot", request="Receipt", response="Ok", errors=[400, 401, 403, 404]),
    # agents
    Route("POST", "/api/agents/login", agents.login, "Log in; returns a bearer token and sets "
          "an HttpOnly session cookie", "none", request="Login", response="Session",
          errors=[400, 401, 429]),
    Route("POST", "/api/agents/logout", agents.logout, "End this session", "agent",
          response="Ok", errors=[401]),
    Route("GET", "/api/agents/me", agents.me, "The logged-in agent", "agent",
          response="Agent", errors=[401]),
    Route("GET", "/api/queues", agents.queues, "Waiting and in-progress counts per queue",
          "agent", response="Queues", errors=[401]),
    Route("GET", "/api/tickets", agents.list_tickets, "Tickets of my queues, most urgent first",
          "agent", response="TicketList", errors=[400, 401],
          query={"status": "comma list of statuses or 'open' (default waiting,transferred)",
                 "queue": "one queue", "mine": "1: only tickets assigned to me"}),
    Route("GET", "/api/tickets/{ticket_id}", agents.get_ticket,
          "A ticket with the full warm-transfer package, messages and event history", "agent",
          response="TicketDetail", errors=TICKET_ERRORS),
    Route("POST", "/api/tickets/{ticket_id}/claim", agents.claim,
          "Claim a waiting ticket (409 when someone else has it)", "agent",
          response="TicketSummary", errors=TICKET_ERRORS + [409]),
    Route("GET", "/api/tickets/{ticket_id}/messages", agents.list_messages,
          "Messages exchanged during the handoff", "agent", response="MessageList",
          errors=TICKET_ERRORS),
    Route("POST", "/api/tickets/{ticket_id}/messages", agents.post_message,
          "Send a message to the shopper (idempotent on client_id)", "agent",
          request="AgentMessage", response="Message", status=201,
          errors=[400] + TICKET_ERRORS + [409]),
    Route("POST", "/api/tickets/{ticket_id}/transfer", agents.transfer,
          "Transfer to another queue with a note; the context stays", "agent",
          request="Transfer", response="TicketSummary", errors=[400] + TICKET_ERRORS + [409]),
    Route("POST", "/api/tickets/{ticket_id}/resolve", agents.resolve,
          "Resolve: the bot resumes, asks 'anything else?' and for a 1-5 CSAT", "agent",
          request="Resolve", response="TicketSummary", errors=TICKET_ERRORS + [409]),
    Route("POST", "/api/tickets/{ticket_id}/assign", agents.assign,
          "Supervisor: (re)assign an open ticket to an agent of its queue", "agent",
          request="Assign", response="TicketSummary", errors=[400] + TICKET_ERRORS + [409]),
    Route("GET", "/api/agents", agents.list_agents, "Supervisor: active agents and who is online",
          "agent", response="AgentList", errors=[401, 403]),
    Route("POST", "/api/tickets/{ticket_id}/notes", agents.add_note,
          "Add an internal note (never shown to the shopper)", "agent", request="Note",
          response="TicketEvent", status=201, errors=[400] + TICKET_ERRORS),
    Route("GET", "/api/ws", agents.websocket,
          "WebSocket of live events (ticket.new, ticket.updated, ticket.escalated, "
          "message.new, message.delivered, ticket.note, typing); the session token as "
          "bearer or the login's session cookie (never in the URL). Closed with 4401 when "
          "the session ends (logout, account disabled) and 4403 when the agent's queues "
          "or role change",
          "agent", response="LiveEvent", status=101, errors=[401]),
]

# knowledge base
ROUTES += [
    Route("GET", "/api/kb/articles", kb.list_articles, "Knowledge-base articles (first "
          "paragraph only)", "agent", response="KbArticleList", errors=[401],
          query={"language": "zh or en"}),
    Route("POST", "/api/kb/articles", kb.create_article, "Supervisor: create an article",
          "agent", request="KbArticleInput", response="KbArticle", status=201,
          errors=[400, 401, 403]),
    Route("GET", "/api/kb/articles/{article_id}", kb.get_article, "One article", "agent",
          response="KbArticle", errors=[401, 404]),
    Route("PUT", "/api/kb/articles/{article_id}", kb.update_article,
          "Supervisor: change an article; the bot answers from it at once", "agent",
          request="KbArticleInput", response="KbArticle", errors=[400, 401, 403, 404]),
    Route("DELETE", "/api/kb/articles/{article_id}", kb.delete_article,
          "Supervisor: remove an article", "agent", response="Ok", errors=[401, 403, 404]),
    Route("GET", "/api/kb/search", kb.search_articles, "Articles for a question, best first, "
          "with their confidence", "agent", response="KbSearch", errors=[401],
          query={"q": "the question", "language": "zh or en"}),
    Route("GET", "/api/kb/misses", kb.list_misses, "Supervisor: questions that found no "
          "article, most asked first", "agent", response="KbMisses", errors=[400, 401, 403],
          query={"days": "period in days (default 7)"}),
    Route("POST", "/api/bot/kb/answer", kb.bot_answer, "The bot's long-tail question: the "
          "article that answers it confidently, else null (and the miss is recorded)", "bot",
          request="KbQuestion", response="KbAnswer", errors=[400, 401, 403]),
    Route("GET", "/api/stats/metrics", metrics.metrics, "Supervisor: FCR, containment, "
          "transfer rate, first response, handling time, CSAT bot/human, NPS, CES (null "
          "where no data), per agent, queue, channel and day (docs/metrics.md)", "agent",
          response="Metrics", errors=[400, 401, 403], query={"days": "period in days, 1-366"}),
    Route("GET", "/api/stats/metrics.csv", metrics.metrics_csv, "Supervisor: the same "
          "metrics as CSV", "agent", errors=[400, 401, 403],
          query={"days": "period in days, 1-366"}),
    Route("GET", "/api/tickets/{ticket_id}/assist", assist.suggestions, "Live assist: ranked "
          "suggested replies for a shopper message (default: the latest), the order's policy "
          "card and the message's emotion", "agent", response="Assist",
          errors=[400] + TICKET_ERRORS, query={"message_id": "a shopper message of the ticket"}),
    Route("POST", "/api/tickets/{ticket_id}/assist/used", assist.suggestion_used,
          "Count a suggestion the agent inserted (kind, ref, edited)", "agent",
          request="AssistUsed", response="Ok", status=201, errors=[400] + TICKET_ERRORS),
    Route("GET", "/api/tickets/{ticket_id}/quality", quality.ticket_quality, "Quality "
          "inspection of a ticket: score 0-100 and the rules it hit", "agent",
          response="Quality", errors=TICKET_ERRORS, query={"lang": "zh or en (rule labels)"}),
    Route("GET", "/api/quality/reviews", quality.review_queue, "Supervisor: sampled "
          "conversations awaiting (or with) a verdict, lowest score first", "agent",
          response="QualityReviews", errors=[401, 403],
          query={"status": "pending (default) or reviewed", "lang": "zh or en"}),
    Route("POST", "/api/quality/reviews/{ticket_id}", quality.verdict, "Supervisor: the "
          "reviewer's verdict on a ticket (pass, coach, fail) with a note", "agent",
          request="QualityVerdict", response="Quality", errors=[400] + TICKET_ERRORS),
    Route("GET", "/kb/{article_id}", kb.public_article, "An article as a page (the link in "
          "the bot's answer)", "none", errors=[404]),
]

# designer studio: review conversations, turn them into training data, train and compare
DESIGNER_ERRORS = [400, 401, 403]
ROUTES += [
    Route("GET", "/api/designer/conversations", studio.conversations, "Designer: recent "
          "conversations, newest first, each with its turns; every shopper turn with the "
          "predicted intent, confidence, entities, emotion and the actions taken (personal "
          "data masked)", "agent", response="DesignerConversations", errors=DESIGNER_ERRORS,
          query={"limit": "1-200 (default 20)", "channel": "one channel", "language": "zh or en",
                 "from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "intent": "a predicted intent",
                 "fallback": "1/0", "handed_off": "1/0", "low_csat": "1: CSAT 1-2",
                 "abandoned": "1/0: a flow or form left unfinished", "tag": "a tag",
                 "q": "words in a turn"}),
    Route("GET", "/api/designer/conversations/{conversation_id}", studio.conversation,
          "Designer: one conversation", "agent", response="DesignerConversation",
          errors=[401, 403, 404]),
    Route("PUT", "/api/designer/conversations/{conversation_id}/tags", studio.set_tags,
          "Designer: set a conversation's tags", "agent", request="DesignerTags",
          response="DesignerTags", errors=DESIGNER_ERRORS + [404]),
    Route("POST", "/api/designer/turns/{turn_id}/correction", studio.correct_turn,
          "Designer: the correct intent and/or entities of a shopper turn", "agent",
          request="DesignerCorrection", response="DesignerTurn", errors=DESIGNER_ERRORS + [404]),
    Route("GET", "/api/designer/vocabulary", studio.vocabulary, "Designer: the domain's "
          "intents and entities", "agent", response="DesignerVocabulary", errors=[401, 403]),
    Route("POST", "/api/designer/training/preview", studio.preview, "Designer: the diff that "
          "turning turns into NLU examples (kind nlu) or a conversation into a story (story) "
          "or test story (test) would make; nothing is written", "agent",
          request="DesignerChange", response="DesignerChanges", errors=DESIGNER_ERRORS),
    Route("POST", "/api/designer/training/apply", studio.apply, "Designer: write that change "
          "into the YAML files (placeholders instead of personal data)", "agent",
          request="DesignerChange", response="DesignerChanges", errors=DESIGNER_ERRORS),
    Route("POST", "/api/designer/train", studio.start_training, "Designer: validate, train a "
          "candidate model and evaluate it against the current one, in the background",
          "agent", response="DesignerJob", status=201, errors=[401, 403, 409]),
    Route("GET", "/api/designer/train/{job_id}", studio.training_job, "Designer: a training "
          "job's steps and the comparison", "agent", response="DesignerJob",
          errors=[401, 403, 404]),
    Route("POST", "/api/designer/train/{job_id}/accept", studio.accept, "Designer: the bot "
          "switches to the candidate model now (Rasa PUT /model, no restart)", "agent",
          response="DesignerJob", errors=[401, 403, 404, 409]),
]


def add_routes(app: web.Application) -> None:
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler)
    # The agent console: HTML pages under /console, not part of the JSON API.
    setup_console(app)
    studio_pages.setup(app)
