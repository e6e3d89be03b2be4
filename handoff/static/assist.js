/* Live assist on the ticket page: suggestions for each shopper message (insert with one
   click, then edit), the order's policy card, and the emotion indicator kept current with
   every shopper message. Text is inserted with textContent only. */
"use strict";
(() => {
  const C = Console;
  const S = JSON.parse(document.getElementById("assist").dataset.strings);
  const root = document.getElementById("ticket-root");
  const id = Number(root.dataset.id);
  const reply = document.getElementById("reply");
  const list = document.getElementById("assist-suggestions");

  function emotion(feeling) {
    if (!feeling || !feeling.label) return;
    let badge = document.querySelector(".ticket-head .emo");
    if (!badge) {
      badge = C.el("span", {});
      document.querySelector(".ticket-head .sla").before(badge);
    }
    badge.className = "emo emo-" + feeling.label;
    badge.id = "emotion-now";
    badge.textContent = C.label("emotion", feeling.label);
    badge.title = (feeling.cues || []).join(", ");
  }
  function insert(s) {
    if (reply.disabled) return;
    reply.value = s.text;
    reply.focus();
    C.api("POST", "/tickets/" + id + "/assist/used", {kind: s.kind, ref: s.ref, edited: false})
      .catch(() => {});  // counting must never get in the agent's way
  }
  function render(data) {
    document.getElementById("assist-for").textContent = data.message.text ? "“" + data.message.text.slice(0, 40) + "”" : "";
    list.replaceChildren(...(data.suggestions.length ? data.suggestions.map((s) => C.el("li", {class: "suggestion kind-" + s.kind, "data-kind": s.kind, "data-ref": s.ref},
      C.el("span", {class: "chip", text: S[s.kind] || s.kind}), " ",
      C.el("span", {class: "text", text: s.text}), " ",
      C.el("button", {type: "button", class: "secondary insert", text: S.insert, onclick: () => insert(s)})))
      : [C.el("li", {class: "muted", text: S.none})]));
    document.getElementById("policy-lines").replaceChildren(...data.policy.map((line) =>
      C.el("li", {"data-key": line.key, text: line.text})));
    emotion(data.emotion);
    document.body.dataset.assistFor = data.message.id === null ? "transcript" : String(data.message.id);
  }
  async function load(messageId) {
    try {
      render(await C.api("GET", "/tickets/" + id + "/assist" + (messageId ? "?message_id=" + messageId : "")));
    } catch (e) { /* the ticket page shows its own errors */ }
  }
  let checking = null, again = false;
  async function quality() {
    if (checking) { again = true; return; }  // one at a time, the last word wins
    checking = (async () => {
      try {
        const q = await C.api("GET", "/tickets/" + id + "/quality?lang=" + S.lang);
        document.getElementById("quality-score").textContent = q.score;
        document.getElementById("quality-hits").replaceChildren(...q.hits.map((h) =>
          C.el("li", {"data-rule": h.rule, text: h.label + ": " + h.evidence})));
      } catch (e) { /* not essential to answering the shopper */ }
    })();
    await checking;
    checking = null;
    if (again) { again = false; quality(); }
  }
  document.addEventListener("console:live", (ev) => {
    const event = ev.detail;
    if (event.type === "ticket.updated" && event.ticket && event.ticket.id === id) quality();
    if (event.type !== "message.new" || event.message.ticket_id !== id) return;
    quality();  // every message can hit or clear a rule
    if (event.message.role !== "shopper") return;
    emotion(event.message.emotion);
    load(event.message.id);
  });
  load(null);
  quality();
})();
