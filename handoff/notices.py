"""What the service itself says to a shopper (zh first, en second), via the relay.

Kept here rather than in domain.yml because the service, not the bot, decides when to say
them (escalations, late tickets, hand-back); every text exists in both languages.
"""
from __future__ import annotations

from typing import Dict, List, Optional

NOTICES: Dict[str, Dict[str, str]] = {
    "sla_breach": {
        "zh": "抱歉让您久等了。目前咨询人数较多,您的问题已提升为优先处理,客服会尽快回复您。",
        "en": "Sorry to keep you waiting. We're busier than usual; your request now has priority "
              "and an agent will answer as soon as possible.",
    },
    "agent_silent": {
        "zh": "抱歉,客服暂时没有回复,我们已提醒主管跟进您的问题,请稍候。",
        "en": "Sorry, your agent hasn't replied yet. A supervisor has been alerted and will "
              "follow up shortly.",
    },
    "queued_late": {
        "zh": "您的转人工请求已成功送达,当前排在第{position}位,预计等待约{wait}分钟。",
        "en": "Your request for an agent has now reached us: you are number {position} in the "
              "queue, expected wait about {wait} minutes.",
    },
    "transferred": {
        "zh": "已为您转接到更合适的同事,他会接着处理,您无需重复描述问题。",
        "en": "I've passed you to a colleague better placed to help; they have the full "
              "context, so there's no need to repeat anything.",
    },
    "anything_else": {
        "zh": "人工客服已处理完毕,我是智能客服小优,请问还有其他可以帮您的吗?",
        "en": "Your agent has finished; I'm the shop assistant again. Is there anything else "
              "I can help you with?",
    },
    "csat_ask": {
        "zh": "请为本次人工服务打分:1-5分,5分表示非常满意。",
        "en": "Please rate the agent's help from 1 to 5 (5 = very satisfied).",
    },
}


def notice(name: str, language: Optional[str], **values: object) -> str:
    texts = NOTICES[name]
    return texts.get(language or "zh", texts["zh"]).format(**values)


def csat_buttons() -> List[Dict[str, str]]:
    return [{"title": str(n), "payload": str(n)} for n in range(5, 0, -1)]
