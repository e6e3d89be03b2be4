/*!
 * Frontline web chat widget — one <script> tag plus a config object, no framework.
 *
 *   <script>window.FrontlineChat = {socketUrl: "https://bot.example.com"};</script>
 *   <script src="https://shop.example.com/widget/frontline-widget.js" async></script>
 *
 * Speaks socket.io to Rasa's socket.io channel (bot/channels/webchat.py): user_uttered /
 * bot_uttered, session_persistence, metadata in `customData`. The stylesheet and the vendored
 * socket.io client are loaded from the script's own folder. Message format: docs/channels.md.
 */
(function () {
  "use strict";
  if (window.FrontlineWidget) return; // embedded twice: keep the first

  var script = document.currentScript;
  var BASE = script && script.src ? script.src.replace(/[^/]*$/, "") : "/widget/";
  var cfg = Object.assign({
    socketUrl: window.location.origin, // the Rasa server
    socketPath: "/socket.io",
    language: "auto",                  // "zh" | "en" | "auto" (navigator.language)
    storagePrefix: "frontline",
    startOpen: false,
    maxTranscript: 200,
    transports: null,                  // socket.io transports; null: its default
    strings: {}
  }, window.FrontlineChat || {});

  var STRINGS = {
    zh: {
      launcher: "在线客服", title: "智能客服小优", online: "在线 · 通常立即回复",
      close: "收起聊天窗口", placeholder: "请输入您的问题…", send: "发送",
      welcome: "您好!我是智能客服小优,可以帮您查订单物流、办理退换货,或解答运费、发票等问题。",
      typing: "正在输入", agentTyping: "{name}正在输入", reconnecting: "连接已断开,正在重连…", offline: "暂时无法连接客服,请检查网络",
      agentJoined: "人工客服 {name} 已接入,为您服务", agentTitle: "人工客服 · {name}",
      agentOnline: "人工服务中", botBack: "人工服务已结束,智能客服小优继续为您服务",
      csatTitle: "请为本次服务打分", csatThanks: "感谢您的评价!", star: "{n} 星",
      unread: "{n} 条未读消息", agent: "客服", you: "我", image: "图片",
      photo: "发送图片", uploadFailed: "图片发送失败:{reason}", tooLarge: "图片太大了", notImage: "只能发送图片"
    },
    en: {
      launcher: "Chat with us", title: "Shop assistant", online: "Online · replies instantly",
      close: "Minimise chat", placeholder: "Type your question…", send: "Send",
      welcome: "Hi! I'm the shop assistant. I can track orders, handle returns, and answer questions about shipping, invoices and more.",
      typing: "typing", agentTyping: "{name} is typing", reconnecting: "Connection lost, reconnecting…", offline: "Can't reach us right now, please check your network",
      agentJoined: "{name} from our service team has joined the chat", agentTitle: "Agent · {name}",
      agentOnline: "Talking to a person", botBack: "The agent has finished; the shop assistant is back",
      csatTitle: "How did we do?", csatThanks: "Thanks for your rating!", star: "{n} star(s)",
      unread: "{n} unread messages", agent: "Agent", you: "Me", image: "Image",
      photo: "Send a picture", uploadFailed: "The picture was not sent: {reason}", tooLarge: "it is too large", notImage: "only pictures can be sent"
    }
  };
  // --- the widget's language -------------------------------------------------------------------
  // The shop's language first (config `language`, else the page's <html lang>, else the
  // browser's), then the shopper's: once they type in the other language, the widget's own
  // words follow them (remembered per shop, like the conversation). Never English on a Chinese
  // shop page just because the browser is set to English.
  var LANG_KEY = (cfg.storagePrefix || "frontline") + ":lang";
  function langOf(tag) {
    tag = String(tag || "").toLowerCase();
    return /^zh/.test(tag) ? "zh" : /^en/.test(tag) ? "en" : null;
  }
  function shopLang() {
    if (cfg.language === "zh" || cfg.language === "en") return cfg.language;
    return langOf(document.documentElement.getAttribute("lang")) || langOf(navigator.language) || "zh";
  }
  function typedLang(text) { // the rule of bot/lang.py: Chinese unless English clearly dominates
    var sample = String(text || "").replace(/\b[A-Za-z]{1,3}\d{6,}\b/g, " ");
    var cjk = (sample.match(/[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/g) || []).length;
    var words = (sample.match(/[A-Za-z]{2,}/g) || []).length;
    if (!cjk && !words) return null;
    return !cjk ? "en" : (words >= 3 * cjk ? "en" : "zh");
  }
  var lang = (function () {
    try { return langOf(localStorage.getItem(LANG_KEY)) || shopLang(); } catch (e) { return shopLang(); }
  })();
  var T = Object.assign({}, STRINGS[lang], (cfg.strings || {})[lang] || {});
  function t(key, values) {
    return String(T[key] || key).replace(/\{(\w+)\}/g, function (_, k) {
      return values && values[k] != null ? values[k] : "";
    });
  }

  // --- persistent state: visitor id, session id, mode, transcript ---------------------------
  var KEY = cfg.storagePrefix + ":";
  function load(name, fallback) {
    try { var raw = localStorage.getItem(KEY + name); return raw ? JSON.parse(raw) : fallback; }
    catch (e) { return fallback; }
  }
  function save(name, value) {
    try { localStorage.setItem(KEY + name, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }
  function randomId() { // 128 random bits, base64url: unguessable, so it can stand for a shopper
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  var visitorId = load("visitor_id", null);
  if (!visitorId) { visitorId = randomId(); save("visitor_id", visitorId); }
  var state = Object.assign({ sessionId: null, conversationId: null, mode: "bot", agentName: "", unread: 0, open: !!cfg.startOpen },
    load("state", {}));
  var transcript = load("transcript", []);
  // Tabs of one shop share this storage and all receive the bot's messages: each entry records
  // the tab that stored it, so a tab can tell another tab's copy of the same message (below).
  var tabId = randomId().slice(0, 8), claimed = {};
  function persist() {
    if (transcript.length > cfg.maxTranscript) transcript = transcript.slice(-cfg.maxTranscript);
    save("state", state);
    save("transcript", transcript);
  }

  // --- DOM ------------------------------------------------------------------------------------
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  function safeUrl(url) { // only web links and images; never javascript: or data:
    return typeof url === "string" && /^(https?:\/\/|\/(?!\/))/i.test(url) ? url : null;
  }
  var LINK_RE = /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"'）)\]，。]+)/g;
  function richText(node, text) { // text nodes and <a> only: shop text is never parsed as HTML
    var last = 0, m;
    text = String(text || "");
    LINK_RE.lastIndex = 0;
    while ((m = LINK_RE.exec(text))) {
      if (m.index > last) node.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = el("a", null, m[1] || m[3]);
      a.href = m[2] || m[3]; a.target = "_blank"; a.rel = "noopener noreferrer";
      node.appendChild(a);
      last = LINK_RE.lastIndex;
    }
    if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
  }

  var root = el("div", "flw-root");
  root.setAttribute("lang", lang === "zh" ? "zh-CN" : "en");
  var launcher = el("button", "flw-launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-label", t("launcher"));
  launcher.appendChild(el("span", "flw-launcher-icon"));
  launcher.appendChild(el("span", "flw-launcher-text", t("launcher")));
  var badge = el("span", "flw-badge");
  launcher.appendChild(badge);
  var panel = el("section", "flw-panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", t("title"));
  var header = el("header", "flw-header");
  var avatar = el("div", "flw-avatar");
  var heading = el("div", "flw-heading");
  var titleEl = el("div", "flw-title");
  var subtitleEl = el("div", "flw-subtitle");
  heading.appendChild(titleEl); heading.appendChild(subtitleEl);
  var closeBtn = el("button", "flw-close", "×");
  closeBtn.type = "button";
  closeBtn.setAttribute("aria-label", t("close"));
  header.appendChild(avatar); header.appendChild(heading); header.appendChild(closeBtn);
  var statusEl = el("div", "flw-status");
  var logEl = el("div", "flw-log");
  logEl.setAttribute("role", "log");
  logEl.setAttribute("aria-live", "polite");
  var typingEl = el("div", "flw-msg flw-bot flw-typing");
  typingEl.setAttribute("aria-label", t("typing"));
  var typingLabel = el("div", "flw-typing-label"); // "小李正在输入" while an agent types; empty for the bot
  typingEl.appendChild(typingLabel);
  typingEl.appendChild(el("span")); typingEl.appendChild(el("span")); typingEl.appendChild(el("span"));
  var form = el("form", "flw-composer");
  var input = el("textarea", "flw-input");
  input.rows = 1;
  input.placeholder = t("placeholder");
  input.setAttribute("aria-label", t("placeholder"));
  input.maxLength = 1000;
  var sendBtn = el("button", "flw-send", t("send"));
  sendBtn.type = "submit";
  var photoBtn = el("button", "flw-photo");
  photoBtn.type = "button";
  photoBtn.title = t("photo"); photoBtn.setAttribute("aria-label", t("photo"));
  var photoInput = el("input", "flw-photo-input");
  photoInput.type = "file"; photoInput.accept = "image/*"; photoInput.hidden = true;
  form.appendChild(photoBtn); form.appendChild(photoInput); form.appendChild(input); form.appendChild(sendBtn);
  panel.appendChild(header); panel.appendChild(statusEl); panel.appendChild(logEl); panel.appendChild(form);
  root.appendChild(panel); root.appendChild(launcher);

  // --- rendering ------------------------------------------------------------------------------
  function renderHeader() {
    var agent = state.mode === "agent";
    root.classList.toggle("flw-agent-mode", agent);
    titleEl.textContent = agent ? t("agentTitle", { name: state.agentName || t("agent") }) : t("title");
    subtitleEl.textContent = agent ? t("agentOnline") : t("online");
    avatar.textContent = agent ? (state.agentName || t("agent")).charAt(0) : "优";
  }
  function renderBadge() {
    badge.textContent = state.unread > 99 ? "99+" : String(state.unread);
    badge.hidden = !state.unread || state.open;
    launcher.setAttribute("aria-label", state.unread ? t("launcher") + " · " + t("unread", { n: state.unread }) : t("launcher"));
  }
  function renderEntry(entry, index) {
    if (entry.kind === "system") {
      var sys = el("div", "flw-system flw-system-" + (entry.tone || "bot"), entry.text);
      return sys;
    }
    if (entry.kind === "csat") return renderCsat(entry);
    var who = entry.kind === "user" ? "flw-user" : entry.kind === "agent" ? "flw-agent" : "flw-bot";
    var row = el("div", "flw-msg " + who + (entry.pending ? " flw-pending" : ""));
    if (entry.kind === "agent") row.appendChild(el("div", "flw-sender", entry.agentName || t("agent")));
    if (entry.text) {
      var bubble = el("div", "flw-bubble");
      richText(bubble, entry.text);
      row.appendChild(bubble);
    }
    if (entry.image && safeUrl(entry.image)) {
      var img = el("img", "flw-image");
      img.src = safeUrl(entry.image); img.alt = t("image"); img.loading = "lazy";
      img.addEventListener("load", scrollDown);
      row.appendChild(img);
    }
    if (entry.buttons && entry.buttons.length && !entry.used) {
      var replies = el("div", "flw-replies");
      entry.buttons.forEach(function (b) {
        var btn = el("button", "flw-reply", b.title);
        btn.type = "button";
        btn.addEventListener("click", function () {
          entry.used = true;
          sendText(b.payload, b.title);
        });
        replies.appendChild(btn);
      });
      row.appendChild(replies);
    }
    row.dataset.index = String(index);
    return row;
  }
  function renderCsat(entry) {
    var box = el("div", "flw-csat");
    box.appendChild(el("div", "flw-csat-title", entry.rated ? t("csatThanks") : t("csatTitle")));
    var stars = el("div", "flw-stars");
    for (var n = 5; n >= 1; n--) { // row-reverse in CSS: hovering a star lights it and those before
      (function (score) {
        var star = el("button", "flw-star" + (entry.rated && score <= entry.rated ? " flw-on" : ""), "★");
        star.type = "button";
        star.dataset.score = String(score);
        star.setAttribute("aria-label", t("star", { n: score }));
        star.disabled = !!entry.rated;
        star.addEventListener("click", function () {
          entry.rated = score;
          sendText(String(score), "★".repeat(score) + " " + score + "/5");
        });
        stars.appendChild(star);
      })(n);
    }
    box.appendChild(stars);
    return box;
  }
  function render() {
    logEl.textContent = "";
    if (!transcript.length) logEl.appendChild(renderEntry({ kind: "bot", text: t("welcome") }, -1));
    transcript.forEach(function (entry, i) { logEl.appendChild(renderEntry(entry, i)); });
    logEl.appendChild(typingEl);
    renderHeader(); renderBadge();
    root.classList.toggle("flw-open", state.open);
    scrollDown();
  }
  function scrollDown() { logEl.scrollTop = logEl.scrollHeight; }
  function storedByAnotherTab(entry) {
    for (var i = transcript.length - 1; i >= 0 && i >= transcript.length - 10; i--) {
      var e = transcript[i];
      if (e.tab && e.tab !== tabId && !claimed[e.id] && e.kind === entry.kind && e.text === entry.text &&
          e.image === entry.image && Date.now() - e.at < 10000) { claimed[e.id] = true; return true; }
    }
    return false;
  }
  function add(entry) {
    if (entry.kind !== "user" && storedByAnotherTab(entry)) { render(); return; }
    // Old quick replies stop making sense once the conversation moves on.
    transcript.forEach(function (e) { if (e.buttons && e.kind !== "user") e.used = true; });
    entry.at = Date.now();
    entry.tab = tabId;
    entry.id = randomId().slice(0, 12);
    transcript.push(entry);
    persist();
    render();
  }
  // Another tab changed the conversation: show its version, so tabs agree and a reload never
  // shows a mix. Whether this tab's panel is open, and its unread count, stay its own.
  window.addEventListener("storage", function (e) {
    if (e.key !== KEY + "transcript" && e.key !== KEY + "state") return;
    transcript = load("transcript", []);
    var mine = { open: state.open, unread: state.unread };
    state = Object.assign(state, load("state", {}), mine);
    render();
  });

  var typingTimer = null;
  function typing(on, label, ms) {
    clearTimeout(typingTimer);
    root.classList.toggle("flw-is-typing", on);
    typingLabel.textContent = on && label ? label : "";
    typingEl.setAttribute("aria-label", on && label ? label : t("typing"));
    if (on) typingTimer = setTimeout(function () { typing(false); }, ms || 20000);
    scrollDown();
  }
  // The service relays an agent's typing at most every 2 s and the console every 3 s, so a
  // few quiet seconds mean the agent stopped (or sent: the message itself hides it too).
  var AGENT_TYPING_MS = 6000;
  function onAgentTyping(data) {
    var name = data && typeof data.agent_name === "string" && data.agent_name ? data.agent_name
      : (state.agentName || t("agent"));
    typing(true, t("agentTyping", { name: name.slice(0, 64) }), AGENT_TYPING_MS);
  }
  function status(text) { statusEl.textContent = text || ""; statusEl.hidden = !text; }

  // --- incoming -------------------------------------------------------------------------------
  function setMode(mode, agentName) {
    if (mode === "agent") {
      var name = agentName || state.agentName || t("agent");
      if (state.mode !== "agent" || state.agentName !== name) {
        state.mode = "agent"; state.agentName = name;
        add({ kind: "system", tone: "agent", text: t("agentJoined", { name: name }) });
      }
    } else if (state.mode === "agent") {
      state.mode = "bot"; state.agentName = "";
      add({ kind: "system", tone: "bot", text: t("botBack") });
    }
  }
  // Messages the handoff relay wrote carry their id (frontline.id). The relay sends at least
  // once: a crash between the push and its record pushes the same message again, so an id
  // this conversation already shows (in this tab or another one) is not shown twice.
  function shownId(mid) {
    for (var i = transcript.length - 1; i >= 0; i--) if (transcript[i].mid === mid) return true;
    return false;
  }
  function onBotMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    typing(false);
    var note = msg.frontline || {};
    var mid = typeof note.id === "string" && note.id ? note.id.slice(0, 128) : null;
    if (mid && note.role === "agent") acknowledge(mid);
    if (mid && shownId(mid)) return;
    var custom = msg.custom && typeof msg.custom === "object" ? msg.custom : null;
    var event = (custom && custom.frontline) || note.event;
    if (event === "agent_joined" || note.role === "agent") setMode("agent", (custom && custom.agent_name) || note.agent_name);
    if (event === "agent_left") setMode("bot");
    if (custom && !custom.text) {
      if (event === "csat_request") add({ kind: "csat", rated: null });
      return;
    }
    var entry = { kind: note.role === "agent" ? "agent" : "bot", text: msg.text || (custom && custom.text) || "" };
    if (mid) entry.mid = mid;
    if (entry.kind === "agent") entry.agentName = note.agent_name || state.agentName;
    var buttons = msg.quick_replies || msg.buttons;
    if (Array.isArray(buttons) && buttons.length && event !== "csat_request") {
      entry.buttons = buttons.filter(function (b) { return b && b.title; }).map(function (b) {
        return { title: String(b.title), payload: String(b.payload != null ? b.payload : b.title) };
      });
    }
    var att = msg.attachment;
    if (att && att.type === "image" && att.payload) entry.image = att.payload.src || att.payload.url;
    if (msg.image) entry.image = msg.image;
    if (!entry.text && !entry.image && !entry.buttons) return;
    if (!state.open || document.hidden) { state.unread += 1; }
    add(entry);
    if (event === "csat_request") add({ kind: "csat", rated: null });
  }

  // --- outgoing -------------------------------------------------------------------------------
  // Every message has its own id and stays in `unacked` (kept across reloads) until the server
  // acknowledges it, i.e. has handled it. After a reconnect, or when no answer came in time,
  // it is sent again with the same id: the channel handles an id once (webchat_resend.py) and
  // the handoff service stores it once, so a lost answer never loses nor doubles a message.
  var socket = null, ready = false;
  var ACK_MS = 30000;
  var unacked = load("unacked", []);
  function metadata() {
    return { channel: "web", visitor_id: visitorId, page: window.location.pathname };
  }
  function acked(id) {
    unacked = unacked.filter(function (item) { return item.id !== id; });
    save("unacked", unacked);
  }
  function transmit(item) {
    if (!ready) return;  // sent by flush() after the next session_confirm
    var attempt = item.attempt = (item.attempt || 0) + 1;
    socket.timeout(ACK_MS).emit("user_uttered", { message: item.payload, session_id: state.sessionId,
      message_id: item.id, customData: Object.assign(metadata(), item.extra || {}) }, function (err) {
      if (!err) { acked(item.id); return; }
      if (ready && item.attempt === attempt && unacked.indexOf(item) >= 0) transmit(item);  // no answer: again
    });
  }
  function emit(payload, extra, entryId) {
    var item = { id: randomId(), payload: payload, extra: extra || null, entry: entryId || null };
    unacked.push(item);
    save("unacked", unacked);
    transmit(item);
  }
  function sendText(payload, shown) {
    payload = String(payload || "").trim();
    if (!payload) return;
    add({ kind: "user", text: shown || payload, pending: !ready });
    typing(true);
    emit(payload, null, transcript[transcript.length - 1].id);
  }
  function flush() {  // (re)connected: what is not acknowledged goes (again), oldest first
    unacked.forEach(function (item) {
      transcript.forEach(function (e) { if (e.id === item.entry) delete e.pending; });
      transmit(item);
    });
    persist(); render();
  }
  // The widget acknowledges each agent message it receives: the agent's console then shows
  // it as delivered (bot/channels/webchat_receipts.py). A copy is acknowledged again, in case
  // the first acknowledgement was lost.
  function acknowledge(mid) {
    if (socket && /^msg:\d+$/.test(mid)) socket.emit("message_received", { session_id: state.sessionId, id: mid });
  }

  function connect() {
    socket = window.io(cfg.socketUrl, {
      path: cfg.socketPath,
      // socket.io's default (long polling, then WebSocket) unless the page sets `transports`:
      // ["websocket"] where the Rasa server runs several workers (docs/scaling.md, "Workers")
      transports: cfg.transports || ["polling", "websocket"],
      // Back-off: 1 s doubling to 30 s, ±50 % jitter so a restart is not hit by everyone at once.
      reconnection: true, reconnectionDelay: 1000, reconnectionDelayMax: 30000, randomizationFactor: 0.5
    });
    socket.on("connect", function () {
      // Every (re)connect joins the session's room again; replies go to the room, not the socket.
      socket.emit("session_request", { session_id: state.sessionId });
    });
    // The server issues the session key (a secret: it joins this chat) and names the public
    // conversation id agents see; a key it did not issue is answered with a new session.
    socket.on("session_confirm", function (sessionId) {
      var id = typeof sessionId === "string" ? sessionId : sessionId && sessionId.session_id;
      var conversation = sessionId && sessionId.conversation_id;
      if (id && id !== state.sessionId) { state.sessionId = id; persist(); }
      if (conversation && conversation !== state.conversationId) { state.conversationId = conversation; persist(); }
      ready = true;
      status("");
      flush();
    });
    socket.on("bot_uttered", onBotMessage);
    socket.on("agent_typing", onAgentTyping);
    socket.on("disconnect", function () { ready = false; status(t("reconnecting")); });
    socket.on("connect_error", function () { ready = false; status(t("reconnecting")); });
    socket.io.on("reconnect_failed", function () { status(t("offline")); });
  }

  // A picture (e.g. of a damaged item) goes to the channel's upload route, then its name rides
  // along a /send_image message; the channel turns the name into the link the bot and agents see.
  function sendPhoto(file) {
    var server = String(cfg.socketUrl).replace(/\/$/, "");
    var body = new FormData();
    body.append("session_id", state.sessionId || ""); body.append("photo", file);
    fetch(server + "/webhooks/socketio/upload", { method: "POST", body: body })
      .then(function (resp) {
        return resp.json().then(function (data) { return { ok: resp.ok, status: resp.status, data: data }; });
      })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status === 413 ? t("tooLarge") : r.status === 415 ? t("notImage") : String(r.status));
        add({ kind: "user", image: server + r.data.path });
        typing(true);
        emit("/send_image", { image: r.data.name });
      })
      .catch(function (e) { add({ kind: "system", tone: "bot", text: t("uploadFailed", { reason: e.message }) }); });
  }

  // --- wiring ---------------------------------------------------------------------------------
  function setOpen(open) {
    state.open = open;
    if (open) state.unread = 0;
    persist(); render();
    if (open) setTimeout(function () { input.focus(); }, 0);
  }
  launcher.addEventListener("click", function () { setOpen(!state.open); });
  photoBtn.addEventListener("click", function () { if (ready) photoInput.click(); });
  photoInput.addEventListener("change", function () {
    if (photoInput.files && photoInput.files[0]) sendPhoto(photoInput.files[0]);
    photoInput.value = "";
  });
  closeBtn.addEventListener("click", function () { setOpen(false); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = "";
    sendText(text);
  });
  // During a handoff the agent sees "Shopper is typing" (bot/channels/webchat_typing.py).
  var TYPING_EVERY_MS = 2000, lastTypingSent = 0;
  input.addEventListener("input", function () {
    if (state.mode !== "agent" || !ready || !input.value.trim()) return;
    if (Date.now() - lastTypingSent < TYPING_EVERY_MS) return;
    lastTypingSent = Date.now();
    socket.emit("user_typing", { session_id: state.sessionId });
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && state.open && state.unread) { state.unread = 0; persist(); renderBadge(); }
  });

  // The shopper wrote in the other language: the widget's own words follow (see the top).
  function followShopper(text) {
    var said = typedLang(text);
    if (!said || said === lang) return;
    lang = said;
    T = Object.assign({}, STRINGS[lang], (cfg.strings || {})[lang] || {});
    try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* private mode */ }
    root.setAttribute("lang", lang === "zh" ? "zh-CN" : "en");
    launcher.querySelector(".flw-launcher-text").textContent = t("launcher");
    panel.setAttribute("aria-label", t("title"));
    closeBtn.setAttribute("aria-label", t("close"));
    typingEl.setAttribute("aria-label", t("typing"));
    input.placeholder = t("placeholder"); input.setAttribute("aria-label", t("placeholder"));
    sendBtn.textContent = t("send");
    photoBtn.title = t("photo"); photoBtn.setAttribute("aria-label", t("photo"));
    renderHeader(); renderBadge();
  }
  form.addEventListener("submit", function () { followShopper(input.value); }, true);

  function loadAsset(tag, attrs, done) {
    var node = document.createElement(tag);
    Object.keys(attrs).forEach(function (k) { node[k] = attrs[k]; });
    if (done) node.onload = done;
    node.onerror = function () { status(t("offline")); };
    document.head.appendChild(node);
  }
  function start() {
    document.body.appendChild(root);
    render();
    if (window.io) connect();
    else loadAsset("script", { src: BASE + "vendor/socket.io.min.js" }, connect);
  }
  loadAsset("link", { rel: "stylesheet", href: BASE + "frontline-widget.css" });
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);

  // A small API for the host page (e.g. a "contact us" link) and for tests.
  window.FrontlineWidget = {
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    send: function (text) { sendText(text); },
    state: function () { return { sessionId: state.sessionId, senderId: state.conversationId || null,
      visitorId: visitorId, mode: state.mode, agentName: state.agentName, unread: state.unread, connected: ready,
      language: lang }; }
  };
})();
