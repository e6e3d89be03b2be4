"""The console's UI strings, Simplified Chinese first, English second."""
from __future__ import annotations

from typing import Dict, Optional

from handoff.domain import QUEUES
from handoff.render import (CHANNEL_LABELS, EMOTION_LABELS, INTENT_LABELS, RISK_LABELS,
                            STATUS_LABELS, TRIGGER_LABELS)

LANGS = ("zh", "en")

STRINGS: Dict[str, tuple] = {
    "app": ("Frontline 坐席工作台", "Frontline agent console"),
    "login": ("登录", "Log in"), "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"), "password": ("密码", "Password"),
    "bad_credentials": ("用户名或密码错误。", "Wrong username or password."),
    "locked": ("登录失败次数过多,账号已锁定,请 {minutes} 分钟后再试。",
               "Too many failed attempts: this account is locked; try again in {minutes} min."),
    "locked_address": ("此网络的登录失败次数过多,已暂停登录,请 {minutes} 分钟后再试。",
                       "Too many failed logins from this network: logins are paused; try again in {minutes} min."),
    "expired": ("登录已过期,请重新登录。", "Your session has ended; please log in again."),
    "queue": ("排队工单", "Queue"), "dashboard": ("数据看板", "Dashboard"),
    "my_tickets": ("我的会话", "My conversations"), "waiting": ("等待接入", "Waiting"),
    "no_tickets": ("暂无等待中的工单。", "No tickets waiting."),
    "priority": ("优先级", "Priority"), "sla": ("SLA 剩余", "SLA left"),
    "reason": ("转人工原因", "Reason"), "language": ("语言", "Language"),
    "channel": ("渠道", "Channel"), "emotion": ("情绪", "Emotion"),
    "customer": ("顾客", "Customer"), "queue_name": ("队列", "Queue"),
    "status": ("状态", "Status"), "assignee": ("处理人", "Assignee"),
    "open": ("打开", "Open"), "claim": ("接入", "Claim"), "breached": ("已超时", "breached"),
    "summary": ("转接摘要", "Hand-over summary"),
    "first_sentence": ("建议开场白", "Suggested first sentence"),
    "use_it": ("放入回复框", "Put in reply box"),
    "order": ("订单", "Order"), "items": ("商品", "Items"), "amount": ("金额", "Amount"),
    "shipment": ("物流", "Shipment"), "last_event": ("最新物流", "Last tracking event"),
    "stale_hours": ("已 {hours} 小时未更新", "not updated for {hours} h"),
    "refund": ("退款", "Refund"), "no_order": ("未关联订单。", "No order in question."),
    "emotion_timeline": ("情绪轨迹", "Emotion timeline"), "cues": ("触发词", "Cue phrases"),
    "risk": ("风险", "Risk"), "negative_share": ("负面消息占比", "Negative messages"),
    "flow_steps": ("已尝试的步骤", "Steps already tried"),
    "no_steps": ("没有自助排查记录。", "No guided steps were tried."),
    "tier": ("会员等级", "Tier"), "phone": ("手机", "Phone"),
    "linked": ("关联渠道", "Linked channels"), "intents": ("意图记录", "Intent history"),
    "transcript": ("完整对话", "Full transcript"),
    "role_shopper": ("顾客", "Shopper"), "role_bot": ("机器人", "Bot"),
    "role_agent": ("坐席", "Agent"), "role_system": ("系统", "System"),
    "reply": ("回复", "Reply"), "send": ("发送", "Send"),
    "reply_placeholder": ("输入回复,Enter 发送,Shift+Enter 换行",
                          "Type a reply; Enter sends, Shift+Enter for a new line"),
    "canned": ("快捷回复", "Canned replies"), "choose": ("选择…", "Choose…"),
    "typing": ("{name} 正在输入…", "{name} is typing…"),
    "shopper_typing": ("顾客正在输入…", "Shopper is typing…"),
    "transfer": ("转接", "Transfer"), "to_queue": ("转到队列", "To queue"),
    "note": ("备注", "Note"), "notes": ("内部备注", "Internal notes"),
    "add_note": ("添加备注", "Add note"), "resolve": ("解决并交还机器人", "Resolve, hand back"),
    "reassign": ("改派", "Reassign"), "to_agent": ("改派给", "To agent"),
    "events": ("工单记录", "Ticket history"),
    "claimed_by_other": ("该工单已被其他坐席接入。", "Someone else has already claimed it."),
    "forbidden": ("您无权查看此工单(不在您的队列中)。",
                  "You cannot open this ticket: it is not in your queues."),
    "not_found": ("没有找到该页面或工单。", "No such page or ticket."),
    "back": ("返回队列", "Back to the queue"),
    "sent": ("已发出", "sent"), "delivered": ("已送达", "delivered"),
    "queued": ("发送中", "sending"), "failed": ("未送达", "not delivered"),
    "delivery_outside_window": (
        "顾客超过 48 小时未发消息,微信不允许再主动发送。请等顾客再次留言,或改用电话/短信联系。",
        "Outside WeChat's 48-hour window: WeChat allows no more messages. Wait for the shopper "
        "to write again, or reach them by phone or SMS."),
    "delivery_quota_exhausted": (
        "本次窗口的微信消息额度(5 条)已用完。顾客回复后额度恢复;请把要点合并成一条再发。",
        "WeChat's quota (5 messages per shopper message) is used up. It resets when the shopper "
        "replies; put what is left into one message then."),
    "delivery_no_callback": (
        "该 App 未配置回调地址,消息无法推送给顾客。请联系技术人员配置 APP_CALLBACK_URL,或改用电话联系。",
        "The app has no callback URL, so the message cannot be pushed to the shopper. Ask your "
        "technical team to set APP_CALLBACK_URL, or call the shopper."),
    "delivery_no_push_channel": (
        "顾客所在渠道不支持主动推送,顾客下次发消息前看不到这条回复。",
        "The shopper's channel cannot receive pushed messages: they will not see this until they "
        "write again."),
    "delivery_channel_error": (
        "渠道发送失败(微信接口出错)。请稍后重发;若一直失败,请联系技术人员。",
        "The channel failed to send it (WeChat's API answered an error). Send it again in a "
        "moment; if it keeps failing, tell your technical team."),
    "delivery_channel_misconfigured": (
        "渠道配置有误(转发密钥不一致),消息未发出。请联系技术人员检查 WECHAT_RELAY_SECRET。",
        "The channel is misconfigured (relay secret mismatch): nothing was sent. Ask your "
        "technical team to check WECHAT_RELAY_SECRET."),
    "resolved_msg": ("已解决,机器人已接回对话。",
                                                      "Resolved: the bot has the conversation back."),
    "error": ("操作失败", "That did not work"), "new_ticket": ("新工单", "new"),
    "period": ("时间范围", "Period"), "from": ("从", "From"), "to": ("到", "To"),
    "apply": ("查看", "Show"), "conversations": ("会话数", "Conversations"),
    "bot_resolution": ("机器人独立解决率", "Bot resolution rate"),
    "handoff_rate": ("转人工率(按原因)", "Handoff rate by reason"),
    "handoffs": ("转人工", "Handoffs"),
    "median_first_reply": ("首次人工回复中位时长", "Median time to first agent reply"),
    "sla_breaches": ("SLA 超时", "SLA breaches"),
    "csat": ("满意度", "CSAT"), "csat_bot": ("仅机器人", "Bot only"),
    "csat_handoff": ("转人工后", "After handoff"), "ratings": ("{n} 个评分", "ratings: {n}"),
    "top_intents": ("热门意图", "Top intents"),
    "top_fallbacks": ("未识别的高频消息", "Top fallback messages"),
    "no_data": ("暂无数据", "No data"),
    "tracker_missing": ("未配置对话存储,会话相关指标仅基于工单。",
                        "The tracker store is not configured; conversation figures count "
                        "tickets only."),
    "online": ("在线", "online"), "offline": ("连接中断,正在重连…", "Disconnected, reconnecting…"),
    "supervisor": ("主管", "Supervisor"), "agent": ("坐席", "Agent"),
    "minutes": ("{n} 分钟", "{n} min"), "seconds": ("{n} 秒", "{n} s"),
    "all_queues": ("全部队列", "All queues"), "in_progress": ("处理中", "In progress"),
    "csat_score": ("满意度评分", "CSAT score"),
    "designer": ("对话设计师", "Designer"),
    # designer studio: conversation review, training data, train and compare
    "studio": ("对话工作室", "Studio"), "studio_title": ("对话复盘与训练", "Conversation review and training"),
    "studio_filters": ("筛选", "Filters"), "studio_search": ("搜索对话内容", "Search the messages"),
    "studio_any": ("全部", "Any"), "studio_fallback": ("未识别", "Fallback"),
    "studio_handed_off": ("已转人工", "Handed off"), "studio_low_csat": ("低满意度", "Low CSAT"),
    "studio_abandoned": ("流程中断", "Flow abandoned"), "studio_tag": ("标签", "Tag"),
    "studio_intent": ("意图", "Intent"), "studio_confidence": ("置信度", "Confidence"),
    "studio_entities": ("实体", "Entities"), "studio_actions": ("机器人动作", "Bot actions"),
    "studio_no_conversations": ("没有符合条件的对话。", "No conversations match."),
    "studio_correct": ("标注", "Annotate"), "studio_save": ("保存标注", "Save annotation"),
    "studio_corrected": ("已标注", "Annotated"), "studio_add_entity": ("加实体", "Add entity"),
    "studio_entity_value": ("实体文字(照原文)", "Entity text (as shown)"),
    "studio_tags": ("标签(逗号分隔)", "Tags (comma separated)"), "studio_save_tags": ("保存标签", "Save tags"),
    "studio_to_nlu": ("已标注的句子 → 训练例句", "Annotated turns → NLU examples"),
    "studio_to_story": ("整段对话 → 故事", "Conversation → story"),
    "studio_to_test": ("整段对话 → 测试对话", "Conversation → test story"),
    "studio_story_name": ("故事名称", "Story name"),
    "studio_preview": ("预览改动", "Preview the change"), "studio_write": ("写入文件", "Write the files"),
    "studio_written": ("已写入,请在版本库中审阅并提交。", "Written: review and commit it in the repository."),
    "studio_diff": ("训练文件改动", "Training-file diff"),
    "studio_masked": ("个人信息已遮盖;写入训练数据时替换为示例值。",
                      "Personal data is masked; training data gets placeholder values instead."),
    "studio_train": ("校验并训练候选模型", "Validate and train a candidate"),
    "studio_training": ("训练中…", "Training…"), "studio_accept": ("采用新模型", "Accept the new model"),
    "studio_accepted": ("机器人已切换到新模型。", "The bot now runs the new model."),
    "studio_compare": ("与当前模型对比", "Compared with the current model"),
    "studio_candidate": ("候选模型", "Candidate"), "studio_current": ("当前模型", "Current"),
    "studio_accuracy": ("意图准确率", "Intent accuracy"), "studio_stories_passed": ("测试对话通过", "Test stories passed"),
    "studio_confusions": ("最常混淆", "Most confused"),
    "studio_should_do": ("机器人应执行(逗号分隔)", "The bot should do (comma separated)"), "studio_step": ("步骤", "Step"),
}
QUEUE_LABELS = {"logistics": ("物流", "Logistics"), "after_sales": ("售后", "After-sales"),
                "tech_support": ("技术支持", "Tech support"),
                "complaints": ("投诉", "Complaints"), "general": ("综合", "General")}
TICKET_STATUS = {"waiting": ("等待中", "waiting"), "assigned": ("已接入", "assigned"),
                 "active": ("对话中", "active"), "transferred": ("已转接", "transferred"),
                 "resolved": ("已解决", "resolved")}
LANGUAGE_NAMES = {"zh": ("中文", "Chinese"), "en": ("英文", "English")}


def pick_language(session_lang: Optional[str], query_lang: Optional[str],
                  accept_language: str) -> str:
    """Explicit choice first, then the browser's Accept-Language order, then Chinese."""
    for choice in (query_lang, session_lang):
        if choice in LANGS:
            return choice  # type: ignore[return-value]
    ranked = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, index, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"


class Translator:
    """`t("key", **values)` in templates; labels of codes via `label(table, code)`."""

    TABLES = {"intent": INTENT_LABELS, "trigger": TRIGGER_LABELS, "emotion": EMOTION_LABELS,
              "order_status": STATUS_LABELS, "risk": RISK_LABELS, "channel": CHANNEL_LABELS,
              "queue": QUEUE_LABELS, "status": TICKET_STATUS, "lang": LANGUAGE_NAMES}

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.index = 0 if lang == "zh" else 1

    def __call__(self, key: str, **values: object) -> str:
        pair = STRINGS.get(key)
        text = pair[self.index] if pair else key
        return text.format(**values) if values else text

    def label(self, table: str, code: object) -> str:
        if code is None or code == "":
            return ""
        pair = self.TABLES[table].get(str(code))
        if pair is None and table == "intent" and str(code).startswith("faq/"):
            from handoff.console.canned import TITLES  # FAQ intents share the FAQ titles
            pair = TITLES.get(str(code)[4:])
            pair = (f"常见问题:{pair[0]}", f"FAQ: {pair[1]}") if pair else None
        if pair is None and table == "intent" and code == "csat_score":
            pair = STRINGS["csat_score"]
        return pair[self.index] if pair else str(code)

    def bundle(self) -> Dict[str, object]:
        """Everything the page scripts need to render rows in this language."""
        return {"lang": self.lang,
                "strings": {k: v[self.index] for k, v in STRINGS.items()},
                "labels": {name: {code: pair[self.index] for code, pair in table.items()}
                           for name, table in self.TABLES.items()},
                "queues": list(QUEUES)}
