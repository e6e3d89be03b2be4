/* Ticket page: claim, live two-way chat, canned replies, transfer, reassign, resolve, notes. */
"use strict";
(() => {
  const C = Console;
  const root = document.getElementById("ticket-root").dataset;
  const id = Number(root.id);
  const me = Number(root.me);
  const state = {status: root.status, assignee: root.assignee ? Number(root.assignee) : null};
  const $ = (sel) => document.querySelector(sel);
  const transcript = $("#transcript");
  const reply = $("#reply");
  const shown = new Set([...transcript.querySelectorAll("li[data-id]")].map((n) => Number(n.dataset.id)));

  function error(e) {
    const text = e.status === 409 ? C.t("claimed_by_other") : e.status === 403 ? C.t("forbidden") : C.t("error") + ": " + e.message;
    C.flash("ticket-error", text);
  }

  function render() {
    const open = state.status !== "resolved";
    const mine = state.assignee === me || (root.role === "supervisor" && state.assignee !== null);
    const claimable = open && state.assignee === null && ["waiting", "transferred"].includes(state.status);
    $("#claim-bar").classList.toggle("hidden", !claimable);
    for (const node of document.querySelectorAll("#reply-form textarea, #reply-form select, #reply-form button, #transfer-form input, #transfer-form select, #transfer-form button, #resolve")) {
      node.disabled = !(open && mine);
    }
    $("#use-first").disabled = !(open && mine);
    $("#status-badge").textContent = C.label("status", state.status);
    const sla = document.querySelector(".ticket-head .sla");
    sla.dataset.status = state.status;
    if (!["waiting", "transferred"].includes(state.status)) sla.dataset.due = "";
    C.tickSla();
  }

  function addMessage(m) {
    if (m.ticket_id !== id || shown.has(m.id)) return;
    shown.add(m.id);
    const item = C.el("li", {class: "turn role-" + m.role, "data-id": m.id},
      C.el("span", {class: "who", text: C.t("role_" + m.role)}), C.linkify(C.el("span", {class: "text", text: m.text})));
    if (m.role === "agent") item.append(deliveryNode(newest(m, early.get(m.id))));
    early.delete(m.id);
    transcript.append(item);
    transcript.scrollTop = transcript.scrollHeight;
    if (m.role === "shopper") hideTyping();
  }
  // Same markup as templates/console/_delivery.html: sending, sent, delivered, or failed
  // with the reason and what the agent can do about it.
  function deliveryNode(m) {
    const state = m.delivery || "queued";
    if (state === "failed") {
      const reason = m.delivery_reason || "channel_error";
      return C.el("span", {class: "tick failed", "data-delivery": "failed", "data-reason": reason,
        text: "✗ " + C.t("failed") + ": " + C.t("delivery_" + reason)});
    }
    if (state === "queued") return C.el("span", {class: "pending-tick", "data-delivery": "queued", text: "… " + C.t("queued")});
    return C.el("span", {class: "tick", "data-delivery": state, text: (state === "delivered" ? "✓✓ " : "✓ ") + C.t(state)});
  }
  // The relay may report a delivery before the message itself reaches this page (the POST's
  // answer and the socket's events race, and instances fan out in any order): keep the update
  // until the message is shown, and never let an older state replace a newer one.
  const early = new Map();
  const RANK = {queued: 0, sent: 1, delivered: 2, failed: 2};
  function newest(m, other) {
    return other && (RANK[other.delivery] || 0) > (RANK[m.delivery || "queued"] || 0) ? other : m;
  }
  function delivered(m) {
    const item = transcript.querySelector('li[data-id="' + m.id + '"]');
    if (!item) { early.set(m.id, newest(m, early.get(m.id))); return; }
    const old = item.querySelector("[data-delivery]");
    if (old && (RANK[old.dataset.delivery] || 0) > (RANK[m.delivery] || 0)) return;
    if (old) old.remove();
    item.append(deliveryNode(m));
  }

  let typingTimer = null;
  function showTyping(event) {
    const node = $("#typing");
    node.textContent = event.role === "shopper" ? C.t("shopper_typing") : C.t("typing", {name: event.name});
    node.dataset.role = event.role === "shopper" ? "shopper" : "agent";
    node.classList.remove("hidden");
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 4000);
  }
  function hideTyping() { $("#typing").classList.add("hidden"); }

  // canned replies: the shopper's language first, the other one after
  const canned = JSON.parse($("#canned").textContent);
  const select = $("#canned-select");
  for (const lang of [root.language, root.language === "zh" ? "en" : "zh"]) {
    const group = C.el("optgroup", {label: C.label("lang", lang)});
    (canned[lang] || []).forEach((r, i) => group.append(C.el("option", {value: lang + ":" + i, text: r.title})));
    select.append(group);
  }
  select.addEventListener("change", () => {
    if (!select.value) return;
    const [lang, index] = select.value.split(":");
    reply.value = canned[lang][Number(index)].text;
    select.value = "";
    reply.focus();
  });
  $("#use-first").addEventListener("click", () => { reply.value = $("#first-sentence").textContent.trim(); reply.focus(); });

  $("#claim").addEventListener("click", async () => {
    try {
      const view = await C.api("POST", "/tickets/" + id + "/claim");
      Object.assign(state, {status: view.status, assignee: view.assignee_id});
      $("#assignee").textContent = C.t("assignee") + ": " + document.querySelector(".topbar .who").dataset.name;
      render();
      reply.focus();
    } catch (e) { error(e); }
  });

  let lastTyping = 0;
  reply.addEventListener("input", () => {
    if (Date.now() - lastTyping < 3000 || reply.disabled) return;
    lastTyping = Date.now();
    C.api("POST", "/tickets/" + id + "/typing").catch(() => {});
  });
  reply.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $("#reply-form").requestSubmit(); }
  });
  $("#reply-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = reply.value.trim();
    if (!text) return;
    const clientId = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/-/g, "");
    try {
      const msg = await C.api("POST", "/tickets/" + id + "/messages", {text, client_id: clientId});
      reply.value = "";
      addMessage(msg);
      if (state.status === "assigned") { state.status = "active"; render(); }
    } catch (e) { error(e); }
  });

  $("#transfer-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await C.api("POST", "/tickets/" + id + "/transfer", {queue: $("#transfer-queue").value, note: $("#transfer-note").value});
      location.href = C.base + "/queue";
    } catch (e) { error(e); }
  });
  $("#resolve").addEventListener("click", async () => {
    try {
      const view = await C.api("POST", "/tickets/" + id + "/resolve", {code: "resolved"});
      Object.assign(state, {status: view.status, assignee: view.assignee_id});
      render();
      C.flash("ticket-error", C.t("resolved_msg"));
    } catch (e) { error(e); }
  });
  const reassignForm = $("#reassign-form");
  if (reassignForm) reassignForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const view = await C.api("POST", "/tickets/" + id + "/reassign", {agent_id: Number($("#reassign-agent").value)});
      Object.assign(state, {status: view.status, assignee: view.assignee_id});
      $("#assignee").textContent = C.t("assignee") + ": " + $("#reassign-agent").selectedOptions[0].textContent;
      render();
    } catch (e) { error(e); }
  });
  const notesShown = new Set();
  function addNote(event) {  // the socket's copy and the POST's answer may come in any order
    if (notesShown.has(event.id)) return;
    notesShown.add(event.id);
    $("#notes").append(C.el("li", {"data-id": event.id}, C.el("span", {class: "muted", text: event.actor}), " " + event.data.text));
  }
  $("#note-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      addNote(await C.api("POST", "/tickets/" + id + "/notes", {text: $("#note-text").value}));
      $("#note-text").value = "";
    } catch (e) { error(e); }
  });

  let opened = false;
  C.live((event) => {
    document.dispatchEvent(new CustomEvent("console:live", {detail: event}));  // assist.js
    if (event.type === "message.new") addMessage(event.message);
    else if (event.type === "message.delivered" && event.message.ticket_id === id) delivered(event.message);
    else if (event.type === "typing" && event.ticket_id === id && (event.role === "shopper" || event.agent_id !== me)) showTyping(event);
    else if (event.type === "ticket.note" && event.event.ticket_id === id) addNote(event.event);
    else if ((event.type === "ticket.updated" || event.type === "ticket.escalated") && event.ticket.id === id) {
      Object.assign(state, {status: event.ticket.status, assignee: event.ticket.assignee_id});
      render();
    }
  }, async () => {
    if (!opened) { opened = true; return; }
    try {  // after a reconnect: pick up what arrived while the socket was down
      const view = await C.api("GET", "/tickets/" + id);
      view.messages.forEach(addMessage);
      Object.assign(state, {status: view.status, assignee: view.assignee_id});
      render();
    } catch (e) { error(e); }
  });
  transcript.querySelectorAll(".text").forEach(C.linkify);
  render();
  transcript.scrollTop = transcript.scrollHeight;
})();
