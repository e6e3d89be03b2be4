/* Queue page: waiting tickets of my queues (most urgent first), live via the WebSocket;
   the title shows how many new tickets arrived while the page was not looked at. */
"use strict";
(() => {
  const C = Console;
  const me = C.bundle;
  const baseTitle = document.title;
  let unseen = 0;

  function row(ticket, waiting) {
    const customer = ticket.customer || {};
    const summary = (ticket.summary || {})[me.lang] || (ticket.summary || {}).zh || "";
    const open = C.el("a", {href: C.base + "/tickets/" + ticket.id, class: "button secondary", text: C.t("open")});
    const actions = C.el("td", {class: "actions"}, open);
    if (waiting) {
      actions.append(C.el("button", {type: "button", class: "primary claim", "data-id": ticket.id, text: C.t("claim"),
        onclick: () => claim(ticket.id)}));
    }
    return C.el("tr", {"data-id": ticket.id, class: "ticket-row" + (ticket._new ? " new" : "")},
      C.el("td", {}, C.el("span", {class: "badge prio p" + ticket.priority, text: "P" + ticket.priority})),
      waiting ? C.el("td", {}, C.el("span", {class: "sla", "data-due": ticket.sla_due_at, "data-status": ticket.status}))
              : C.el("td", {text: C.label("status", ticket.status)}),
      C.el("td", {class: "cust"}, C.el("strong", {text: customer.name || ticket.conversation_id}),
        customer.tier ? C.el("span", {class: "muted", text: " · " + customer.tier}) : null,
        C.el("div", {class: "snippet", text: summary})),
      C.el("td", {}, C.label("trigger", ticket.reason),
        C.el("div", {class: "muted", text: C.label("lang", ticket.language)})),
      C.el("td", {class: "narrow-hide", text: C.label("queue", ticket.queue)}),
      C.el("td", {}, C.emotionBadge((ticket.emotion || {}).current)),
      C.el("td", {}, C.channelBadge(ticket.channel)),
      actions);
  }

  const seen = new Set();
  function fill(id, tickets, waiting) {
    const body = document.querySelector("#" + id + " tbody");
    body.replaceChildren(...tickets.map((t) => row(t, waiting)));
    if (waiting) {
      document.getElementById("waiting-count").textContent = tickets.length;
      document.getElementById("waiting-empty").classList.toggle("hidden", tickets.length > 0);
    }
    C.tickSla(body);
  }

  async function refresh() {
    try {
      const waiting = (await C.api("GET", "/tickets?status=waiting,transferred")).tickets;
      const mineQuery = me.role === "supervisor" ? "/tickets?status=assigned,active" : "/tickets?status=assigned,active&mine=1";
      const mine = (await C.api("GET", mineQuery)).tickets;
      for (const t of waiting) { if (seen.size && !seen.has(t.id)) t._new = true; }
      for (const t of waiting) seen.add(t.id);
      fill("waiting", waiting, true);
      fill("mine", mine, false);
    } catch (e) { C.flash("queue-error", C.t("error") + ": " + e.message); }
  }

  async function claim(id) {
    try {
      await C.api("POST", "/tickets/" + id + "/claim");
      location.href = C.base + "/tickets/" + id;
    } catch (e) {
      C.flash("queue-error", e.status === 409 ? C.t("claimed_by_other") : C.t("error") + ": " + e.message);
      refresh();
    }
  }

  function badge() {
    document.title = unseen ? "(" + unseen + ") " + C.t("new_ticket") + " · " + baseTitle : baseTitle;
  }
  function beep() {
    try {  // a short tone; browsers allow it once the agent has interacted with the page
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      const osc = ctx.createOscillator();
      osc.frequency.value = 880; osc.connect(ctx.destination); osc.start(); osc.stop(ctx.currentTime + 0.15);
    } catch (e) { /* no audio: the title badge still shows */ }
  }
  document.addEventListener("visibilitychange", () => { if (!document.hidden) { unseen = 0; badge(); } });
  window.addEventListener("focus", () => { unseen = 0; badge(); });

  let pending = null;
  function soon() { clearTimeout(pending); pending = setTimeout(refresh, 150); }
  C.live((event) => {
    if (event.type === "hello") { me.role = event.agent.role; return; }
    if (event.type === "ticket.new") {
      unseen += 1; badge(); beep(); soon();
    } else if (event.type === "ticket.updated" || event.type === "ticket.escalated") {
      soon();
    }
  }, refresh);
  me.role = document.body.dataset.role;
  refresh();
})();
