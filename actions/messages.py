"""Every order-related reply in Chinese and English, in one place.

Texts are `str.format` templates. Policy values come from data/shop.yml as `{shop.<path>}`
(never typed here), other values are passed by the caller. `text(key, lang, **values)`.
"""
from __future__ import annotations

import string
from typing import Any, Dict, Mapping

from bot import policy

M: Dict[str, Dict[str, str]] = {
    # --- identification -----------------------------------------------------------------
    "ask_order_id": {
        "zh": "请告诉我您的订单号(以E开头的13位编号,可在“我的订单”中查看)。",
        "en": "Please tell me your order number (it starts with E, see \"My orders\")."},
    "ask_order_id_unverified": {
        "zh": "为保护您的隐私,请先提供订单号,随后我会请您核对下单手机号的后四位。",
        "en": "To protect your privacy, please give me the order number first; I'll then ask "
              "for the last four digits of the phone number on the order."},
    "ask_order_id_none": {
        "zh": "您的账户里没有找到近期订单。请告诉我订单号。",
        "en": "I can't see any recent orders on your account. Please tell me the order number."},
    "which_order": {
        "zh": "您最近有几笔订单,请问是哪一笔?", "en": "You have several recent orders. Which one?"},
    "ask_phone_last4": {
        "zh": "请输入该订单收货手机号的后四位数字。",
        "en": "Please enter the last four digits of the phone number on this order."},
    "phone_last4_format": {
        "zh": "请输入4位数字,例如 1234。", "en": "Please enter 4 digits, e.g. 1234."},
    "order_id_malformed": {
        "zh": "这个订单号格式不对:订单号是E加12位数字,例如 E202611180042。",
        "en": "That doesn't look like an order number: it is E followed by 12 digits, "
              "e.g. E202611180042."},
    # Same text for an unknown order, another customer's order and a wrong phone: no hints.
    "order_not_found": {
        "zh": "没有找到与您信息匹配的订单,请核对订单号和手机号后再试。",
        "en": "I couldn't find an order matching your details. Please check the order "
              "number and phone number and try again."},
    "verify_blocked_order": {
        "zh": "这个订单号今天的核验失败次数过多,为保障订单安全,已暂停自助核验。请说“转人工”,由人工客服为您核实身份。",
        "en": "There have been too many failed checks on this order number today, so self-service "
              "verification is paused to keep the order safe. Say \"human agent\" and a colleague will verify you."},
    "verify_blocked": {
        "zh": "尝试次数过多,为保障账户安全,请{minutes}分钟后再试,或说“转人工”由人工客服核实。",
        "en": "Too many attempts. For your account's safety please try again in {minutes} "
              "minutes, or say \"human agent\" and a colleague will verify you."},
    # "已取消" would sound like the order was cancelled: say the request was left instead.
    "aborted": {"zh": "好的,这件事先不办了。还有其他可以帮您的吗?",
                "en": "OK, let's leave that. Anything else I can help with?"},
    # --- a step answered twice with something unusable: a clearer question, then a person ---
    "reask_order_id": {
        "zh": "还是没能认出订单号。订单号在“我的订单”里,是字母E加12位数字,例如 E202611180042,直接复制过来发给我就行。",
        "en": "I still can't spot an order number. You'll find it under \"My orders\": the letter E "
              "and 12 digits, e.g. E202611180042. Just copy and paste it here."},
    "reask_phone_last4": {
        "zh": "只需要下单时填写的收货手机号的最后4位数字,例如手机号138****5678就回复 5678。",
        "en": "I only need the last 4 digits of the phone number on the order: for a number "
              "ending in 5678, reply 5678."},
    "reask_new_address": {
        "zh": "请按这样的格式发新地址:上海市浦东新区张江路88号3栋502室(城市+街道+门牌号)。",
        "en": "Please send the new address like this: 88 Zhangjiang Road, Building 3, Room 502, "
              "Pudong, Shanghai (city, street and number)."},
    "reask_return_reason": {
        "zh": "请点下面的按钮选择退货原因,或直接回复“质量问题”“发错货”或“不想要了”。",
        "en": "Please tap one of the buttons below, or reply \"defective\", \"wrong item\" or "
              "\"changed my mind\"."},
    "reask_damage_photo": {
        "zh": "如果现在没有照片,回复“没有”就行,我先为您登记,照片之后可以在“我的订单-售后”补传。",
        "en": "If you don't have a photo right now, just reply \"no photo\": I'll open the case "
              "and you can add the photo later under \"My orders > After-sales\"."},
    "reask_order_confirmed": {
        "zh": "请回复“是”确认,或回复“不”保持不变。", "en": "Please reply \"yes\" to confirm, or \"no\" to leave it as it is."},
    "form_offer_human": {
        "zh": "抱歉,我还是没能认出您的回复,不再重复同一个问题了。需要我为您转接人工客服吗?",
        "en": "Sorry, I still can't read that answer, so I won't keep asking the same thing. "
              "Would you like me to connect you with a human agent?"},
    "btn_no_thanks": {"zh": "不用了", "en": "No, thanks"},
    "btn_no_photo": {"zh": "没有照片", "en": "No photo"},
    # --- order status -------------------------------------------------------------------
    "status_unpaid": {
        "zh": "订单{order_id}({items})待付款,金额{shop.currency}{amount}。未付款订单将在下单{shop.payment.unpaid_cancel_minutes}分钟后自动取消。",
        "en": "Order {order_id} ({items}) is awaiting payment of {shop.currency}{amount}. Unpaid orders are cancelled after {shop.payment.unpaid_cancel_minutes} minutes."},
    "status_paid": {
        "zh": "订单{order_id}({items})已于{paid_at}付款,正在备货,尚未发货。每天{shop.shipping.dispatch_cutoff}前付款的订单当天发出。",
        "en": "Order {order_id} ({items}) was paid on {paid_at} and is being prepared; it has not shipped yet. Orders paid before {shop.shipping.dispatch_cutoff} ship the same day."},
    "status_shipped": {
        "zh": "订单{order_id}({items})已由{carrier}发出,运单号{tracking_no}。最新物流:{event_time} {event_place} {event_text}。",
        "en": "Order {order_id} ({items}) shipped with {carrier}, tracking number {tracking_no}. Latest update: {event_time}, {event_place}: {event_text}."},
    "status_delivered": {
        "zh": "订单{order_id}({items})已于{event_time}在{event_place}签收({carrier} {tracking_no})。",
        "en": "Order {order_id} ({items}) was delivered on {event_time} in {event_place} ({carrier} {tracking_no})."},
    "status_cancelled": {
        "zh": "订单{order_id}({items})已取消。{refund}", "en": "Order {order_id} ({items}) was cancelled. {refund}"},
    "status_refunded": {
        "zh": "订单{order_id}({items})已退货退款。{refund}",
        "en": "Order {order_id} ({items}) was returned and refunded. {refund}"},
    "status_return_open": {
        "zh": "该订单有一个退货申请({return_id}),状态:{return_status}。",
        "en": "There is a return ({return_id}) for this order, status: {return_status}."},
    # --- logistics ------------------------------------------------------------------------
    "logistics_not_shipped": {
        "zh": "订单{order_id}还没有发货,所以暂时没有物流信息。", "en": "Order {order_id} hasn't shipped yet, so there is no tracking yet."},
    "logistics_stale": {
        "zh": "很抱歉,您的包裹({carrier} {tracking_no})已经{hours}小时没有更新了,最后一条是{event_time} {event_place} {event_text}。超过{shop.shipping.stale_tracking_hours}小时未更新属于异常,我已为您向快递公司发起催查(工单{case_id})。",
        "en": "Sorry, your parcel ({carrier} {tracking_no}) hasn't moved for {hours} hours; the last update was {event_time}, {event_place}: {event_text}. No update for over {shop.shipping.stale_tracking_hours} hours counts as stuck, so I've opened an inquiry with the carrier (case {case_id})."},
    "logistics_moving": {
        "zh": "您的包裹({carrier} {tracking_no})运输正常,{hours}小时前更新:{event_time} {event_place} {event_text}。如超过{shop.shipping.stale_tracking_hours}小时没有更新,我们会帮您催件。",
        "en": "Your parcel ({carrier} {tracking_no}) is moving normally; last update {hours} hours ago: {event_time}, {event_place}: {event_text}. If nothing changes for {shop.shipping.stale_tracking_hours} hours we'll chase the carrier."},
    "logistics_not_received": {
        "zh": "物流显示包裹已于{event_time}在{event_place}签收,但您没有收到,非常抱歉。请先看看快递柜、门卫或家人是否代收。我已登记为“签收未收到”并优先向快递公司核查(工单{case_id})。",
        "en": "Tracking says the parcel was delivered on {event_time} in {event_place}, but you haven't received it; sorry about that. Please check parcel lockers, reception or family members. I've recorded it as \"delivered but not received\" and opened a priority inquiry with the carrier (case {case_id})."},
    "offer_human": {"zh": "需要的话也可以转人工客服。", "en": "You can also talk to a human agent."},
    "btn_human": {"zh": "转人工", "en": "Talk to an agent"},
    # --- goodwill coupons -----------------------------------------------------------------
    "goodwill_granted": {
        "zh": "为表歉意,已向您的账户发放{shop.currency}{amount}补偿券,下单时可直接使用。",
        "en": "As an apology, a {shop.currency}{amount} goodwill coupon has been added to your account."},
    "goodwill_already": {
        "zh": "这笔订单已经发放过补偿券了。", "en": "A goodwill coupon was already issued for this order."},
    # --- address change ---------------------------------------------------------------------
    "ask_new_address": {
        "zh": "请告诉我新的收货地址(省市区+街道门牌,如需改收件人请一并说明)。",
        "en": "Please tell me the new delivery address (city, district, street and number)."},
    "address_invalid": {
        "zh": "这个地址好像不完整,请包含城市、街道和门牌号。",
        "en": "That address looks incomplete; please include the city, street and number."},
    "confirm_address": {
        "zh": "确认把订单{order_id}的收货地址改为:{address}?", "en": "Change the delivery address of order {order_id} to: {address}?"},
    "address_changed": {
        "zh": "已为您修改:订单{order_id}将寄往 {address}。", "en": "Done: order {order_id} will be delivered to {address}."},
    "address_kept": {"zh": "好的,地址保持不变。", "en": "OK, the address stays as it is."},
    "address_too_late": {
        "zh": "订单{order_id}已经由{carrier}发出(运单号{tracking_no}),无法再改地址。您可以联系快递员用运单号转寄,或拒收后重新下单;也可以转人工协助。",
        "en": "Order {order_id} has already shipped with {carrier} (tracking {tracking_no}), so the address can't be changed. You can ask the courier to redirect it using the tracking number, or refuse delivery and order again; an agent can help too."},
    "address_closed": {
        "zh": "订单{order_id}当前状态为{status},不能修改地址。", "en": "Order {order_id} is {status}; its address can't be changed."},
    # --- cancellation -------------------------------------------------------------------------
    "confirm_cancel": {
        "zh": "确认取消订单{order_id}({items})吗?{refund_note}", "en": "Cancel order {order_id} ({items})? {refund_note}"},
    "refund_note": {
        "zh": "{shop.currency}{amount}将原路退回{method},预计{days}天到账。",
        "en": "{shop.currency}{amount} will go back to your {method} within {days} days."},
    "refund_note_unpaid": {"zh": "该订单未付款,无需退款。", "en": "It isn't paid, so there is nothing to refund."},
    "cancelled": {"zh": "订单{order_id}已取消。{refund_note}", "en": "Order {order_id} is cancelled. {refund_note}"},
    "cancel_kept": {"zh": "好的,订单保留,不做取消。", "en": "OK, the order stays as it is."},
    "cancel_too_late": {
        "zh": "订单{order_id}已经发货,无法直接取消。您可以拒收,或签收后{shop.returns.no_reason_days}天内申请无理由退货。",
        "en": "Order {order_id} has already shipped, so it can't be cancelled. You can refuse the delivery, or return it within {shop.returns.no_reason_days} days of delivery."},
    "cancel_closed": {"zh": "订单{order_id}当前状态为{status},无需取消。", "en": "Order {order_id} is {status}; there is nothing to cancel."},
    # --- returns and refunds ---------------------------------------------------------------------
    "ask_return_reason": {"zh": "请问退货原因是?", "en": "What is the reason for the return?"},
    "reason_no_reason": {"zh": "不想要了(无理由)", "en": "Changed my mind"},
    "reason_quality": {"zh": "质量问题", "en": "Defective"},
    "reason_wrong_item": {"zh": "发错货", "en": "Wrong item"},
    "return_created": {
        "zh": "已为您创建退货单{return_id}。请在“我的订单”中填写退货运单号寄回商品,运费{shipping}。商品到仓后{shop.refunds.review_hours}小时内审核,退款{shop.currency}{amount}原路退回{method},预计{days}天到账。",
        "en": "Return {return_id} is created. Send the item back and enter the tracking number under \"My orders\"; shipping: {shipping}. We check returns within {shop.refunds.review_hours} hours of arrival and refund {shop.currency}{amount} to your {method} within {days} days."},
    "ship_shop": {"zh": "由我们承担", "en": "paid by us"},
    "ship_customer": {"zh": "由您承担", "en": "paid by you"},
    "ship_allowance": {"zh": "由您先行垫付,会员最多补贴{shop.currency}{shop.returns.return_shipping_allowance}",
                       "en": "paid by you, members get up to {shop.currency}{shop.returns.return_shipping_allowance} back"},
    "return_window_over": {
        "zh": "订单{order_id}签收已{days}天,超过了{shop.returns.no_reason_days}天无理由退货期(质量问题为{shop.returns.quality_days}天)。如有质量问题可以申请保修,也可以转人工。",
        "en": "Order {order_id} was delivered {days} days ago, beyond the {shop.returns.no_reason_days}-day return window ({shop.returns.quality_days} days for defects). Defects can still be claimed under warranty, or talk to an agent."},
    "return_excluded": {
        "zh": "{item}属于不支持无理由退货的类别;如有质量问题,可在签收{shop.returns.quality_days}天内申请退换。",
        "en": "{item} can't be returned without a reason; defective items can be returned within {shop.returns.quality_days} days of delivery."},
    "return_not_delivered": {
        "zh": "订单{order_id}当前状态为{status},还不能退货。未发货可以直接取消订单;运输中可以拒收。",
        "en": "Order {order_id} is {status}, so it can't be returned yet. An order that hasn't shipped can be cancelled; one on its way can be refused."},
    "return_exists": {"zh": "订单{order_id}已有退货单{return_id},状态:{return_status}。", "en": "Order {order_id} already has return {return_id}, status: {return_status}."},
    "refund_progress": {
        "zh": "订单{order_id}的退款{shop.currency}{amount}({method})状态:{refund_status},申请于{at},一般{days}天内到账。",
        "en": "The refund of {shop.currency}{amount} for order {order_id} ({method}) is {refund_status}, requested on {at}; it usually arrives within {days} days."},
    "refund_done": {
        "zh": "订单{order_id}的退款{shop.currency}{amount}已于{at}退回{method},如未看到请查看{method}账单明细。",
        "en": "The refund of {shop.currency}{amount} for order {order_id} went back to your {method} on {at}; please check that account's statement."},
    "refund_waiting_return": {
        "zh": "订单{order_id}的退货{return_id}状态:{return_status}。商品到仓后{shop.refunds.review_hours}小时内审核,审核通过即退款。",
        "en": "Return {return_id} for order {order_id} is {return_status}. We check returns within {shop.refunds.review_hours} hours of arrival and refund once approved."},
    "refund_none": {"zh": "订单{order_id}目前没有退款记录。", "en": "There is no refund on order {order_id}."},
    # --- damaged items --------------------------------------------------------------------------
    "ask_photo_attach": {
        "zh": "非常抱歉!请拍一张破损/错发商品和外包装的照片,直接在这里发给我;没有照片请回复“没有”。",
        "en": "I'm so sorry! Please take a photo of the damaged or wrong item and its packaging and send it here in the chat, or reply \"no photo\"."},
    "ask_photo_text": {
        "zh": "非常抱歉!请回复一个照片链接,或在“我的订单-售后”上传照片;没有照片请回复“没有”。",
        "en": "I'm so sorry! Please reply with a link to a photo, or upload it under \"My orders > After-sales\"; or reply \"no photo\"."},
    "damage_case": {
        "zh": "已为您创建优先处理的售后工单{case_id}({photo})。售后同事会尽快联系您;质量问题{shop.returns.quality_days}天内可退可换,运费由我们承担。",
        "en": "I've opened priority after-sales case {case_id} ({photo}). An after-sales colleague will contact you soon; defective items can be returned or exchanged within {shop.returns.quality_days} days at our cost."},
    "photo_yes": {"zh": "已附照片", "en": "photo attached"},
    "photo_no": {"zh": "照片待补充", "en": "photo to follow"},
    "damage_not_shipped": {"zh": "订单{order_id}还没有发货,请确认订单号。", "en": "Order {order_id} hasn't shipped yet; please check the order number."},
    # --- coupons ----------------------------------------------------------------------------------
    "coupons_list": {"zh": "您现在可以使用的优惠券:\n{lines}", "en": "Coupons you can use now:\n{lines}"},
    "coupon_line": {"zh": "· {title}(满{shop.currency}{min_spend}可用,有效期至{until})",
                    "en": "· {title} (min. spend {shop.currency}{min_spend}, valid until {until})"},
    "coupons_none": {"zh": "目前没有可用的优惠券,关注店铺活动可第一时间领取。", "en": "There are no coupons available right now; follow the shop for new offers."},
    "coupon_rules": {"zh": "每笔订单限用{shop.coupons.per_order}张优惠券。", "en": "{shop.coupons.per_order} coupon per order."},
    # --- the shop connector: what was sent to the shop, and the shop's answer -------------
    # A change is "submitted" until the shop confirms it; a refusal is told with the shop's reason.
    "shop_submitted": {
        "zh": "已将{what}提交给商家,商家确认后我会在这里通知您。",
        "en": "I've sent {what} to the shop. I'll let you know here as soon as the shop confirms."},
    "shop_refused": {
        "zh": "抱歉,商家没有受理{what},原因:{reason}。如需帮助,可以说“转人工”。",
        "en": "Sorry, the shop turned down {what}. Reason: {reason}. Say \"human agent\" if you'd like help."},
    "shop_confirmed_later": {
        "zh": "商家已确认:{done}", "en": "The shop has confirmed: {done}"},
    "shop_what_cancel": {
        "zh": "订单{order_id}的取消申请", "en": "the cancellation of order {order_id}"},
    "shop_what_change_address": {
        "zh": "订单{order_id}的地址修改", "en": "the address change for order {order_id}"},
    "shop_what_return_request": {
        "zh": "订单{order_id}的退货申请", "en": "the return request for order {order_id}"},
    "shop_what_carrier_inquiry": {
        "zh": "订单{order_id}的物流查询", "en": "the carrier inquiry for order {order_id}"},
    "shop_what_coupon": {
        "zh": "订单{order_id}的补偿券", "en": "the goodwill coupon for order {order_id}"},
    "shop_done_carrier_inquiry": {
        "zh": "已就订单{order_id}向快递公司发起查询。", "en": "it has asked the carrier about order {order_id}."},
    "shop_what_refund_request": {
        "zh": "订单{order_id}的退款申请", "en": "the refund request for order {order_id}"},
}

STATUS = {
    "zh": {"unpaid": "待付款", "paid": "待发货", "shipped": "运输中", "delivered": "已签收",
           "cancelled": "已取消", "refunded": "已退款", "requested": "待审核", "approved": "已同意,待寄回",
           "received": "已到仓", "rejected": "未通过", "pending": "处理中", "processing": "处理中",
           "succeeded": "已退款", "failed": "失败"},
    "en": {"unpaid": "awaiting payment", "paid": "paid, not shipped", "shipped": "in transit",
           "delivered": "delivered", "cancelled": "cancelled", "refunded": "refunded",
           "requested": "awaiting review", "approved": "approved, awaiting the item",
           "received": "received", "rejected": "rejected", "pending": "in progress",
           "processing": "in progress", "succeeded": "completed", "failed": "failed"},
}
CARRIERS = {"zh": {"SF": "顺丰速运", "YT": "圆通速递", "JD": "京东物流", "ZTO": "中通快递"},
            "en": {"SF": "SF Express", "YT": "YTO Express", "JD": "JD Logistics", "ZTO": "ZTO Express"}}
METHODS = {"zh": {"wechat_pay": "微信支付", "alipay": "支付宝", "bank_card": "银行卡",
                  "credit_card": "信用卡", "huabei": "花呗", "cash_on_delivery": "银行卡"},
           "en": {"wechat_pay": "WeChat Pay", "alipay": "Alipay", "bank_card": "bank card",
                  "credit_card": "credit card", "huabei": "Huabei", "cash_on_delivery": "bank card"}}


class _Formatter(string.Formatter):
    """Looks `shop.returns.no_reason_days` up as one key instead of attribute access."""

    def get_field(self, field_name: str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if field_name in kwargs:
            return kwargs[field_name], field_name
        return super().get_field(field_name, args, kwargs)


_FMT = _Formatter()


def lang_of(language: Any) -> str:
    return "en" if language == "en" else "zh"


def text(key: str, language: Any, **values: Any) -> str:
    lang = lang_of(language)
    merged: Dict[str, Any] = policy.template_values(lang)
    merged.update(values)
    return _FMT.vformat(M[key][lang], (), merged)


def status_name(status: Any, language: Any) -> str:
    return STATUS[lang_of(language)].get(str(status), str(status))


def carrier_name(code: Any, language: Any) -> str:
    return CARRIERS[lang_of(language)].get(str(code), str(code))


def method_name(code: Any, language: Any) -> str:
    return METHODS[lang_of(language)].get(str(code), str(code))
