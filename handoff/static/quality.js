/* Supervisors' quality review: sampled conversations, lowest score first; a verdict each. */
"use strict";
(() => {
  const S = JSON.parse(document.getElementById("quality").dataset.strings);
  const el = Console.el;
  const body = document.querySelector("#quality-table tbody");
  const status = document.getElementById("quality-status");

  function verdictForm(r) {
    if (r.verdict) return el("span", {class: "verdict", text: S[r.verdict] + (r.verdict_note ? " · " + r.verdict_note : "")});
    const select = el("select", {class: "verdict-select"}, ...["pass", "coach", "fail"].map((v) => el("option", {value: v, text: S[v]})));
    const note = el("input", {class: "verdict-note", placeholder: S.note, maxlength: "2000"});
    return el("form", {class: "row verdict-form", onsubmit: async (ev) => {
      ev.preventDefault();
      await Console.api("POST", "/quality/reviews/" + r.ticket_id, {verdict: select.value, note: note.value});
      load();
    }}, select, note, el("button", {type: "submit", class: "secondary", text: S.save}));
  }
  async function load() {
    const data = await Console.api("GET", "/quality/reviews?status=" + status.value + "&lang=" + S.lang);
    if (!data.reviews.length) { body.replaceChildren(el("tr", {}, el("td", {class: "muted", colspan: "4", text: S.none}))); return; }
    body.replaceChildren(...data.reviews.map((r) => el("tr", {"data-id": r.ticket_id},
      el("td", {}, el("a", {href: "/console/tickets/" + r.ticket_id, text: "#" + r.ticket_id})),
      el("td", {class: "n score", text: r.score}),
      el("td", {}, el("ul", {class: "plain small"}, ...r.hits.map((h) => el("li", {"data-rule": h.rule, text: h.label + ": " + h.evidence})))),
      el("td", {}, verdictForm(r)))));
    document.body.dataset.qualityLoaded = status.value;
  }
  status.addEventListener("change", load);
  load();
})();
