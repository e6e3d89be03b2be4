/* Designer studio: review conversations, annotate turns, preview and write training files,
   train a candidate and accept it. Text goes in with textContent only. */
"use strict";
(() => {
  const {el, t, api} = Console;
  const list = document.getElementById("studio-conversations");
  const detail = document.getElementById("studio-conversation");
  const actions = document.getElementById("studio-actions");
  const diff = document.getElementById("studio-diff");
  const message = document.getElementById("studio-message");
  const writeButton = document.getElementById("studio-write");
  let current = null;
  let staged = null;

  function query() {
    const form = new FormData(document.getElementById("studio-filters"));
    const params = new URLSearchParams({limit: "50"});
    for (const [k, v] of form.entries()) if (v) params.set(k, v);
    return params.toString();
  }
  async function loadList() {
    const data = await api("GET", "/designer/conversations?" + query());
    if (!data.conversations.length) {
      list.replaceChildren(el("li", {class: "muted", text: t("studio_no_conversations")}));
    } else {
      list.replaceChildren(...data.conversations.map((c) => {
        const first = c.turns.find((x) => x.role === "shopper");
        const flags = [c.fallback && t("studio_fallback"), c.handed_off && t("studio_handed_off"),
          c.flow_abandoned && t("studio_abandoned"), c.csat && (t("csat") + " " + c.csat)].filter(Boolean);
        return el("li", {"data-id": c.id, class: current && current.id === c.id ? "current" : "", onclick: () => open(c.id)},
          el("div", {text: first ? first.text : c.id}),
          el("div", {class: "small muted", text: [c.channel, c.language, new Date(c.last_at * 1000).toLocaleString(), ...flags, ...c.tags.map((x) => "#" + x)].filter(Boolean).join(" · ")}));
      }));
    }
    document.body.dataset.studioLoaded = String(data.conversations.length);
  }
  function entityRow(entity, value) {
    return el("span", {class: "entity-row"},
      el("input", {class: "entity-name", list: "studio-entity-names", placeholder: t("studio_entities"), value: entity || "", maxlength: "64"}),
      el("input", {class: "entity-value", placeholder: t("studio_entity_value"), value: value || "", maxlength: "200"}));
  }
  function annotateForm(turn) {
    const corr = turn.correction || {};
    const intent = el("input", {class: "correct-intent", list: "studio-intents", value: corr.intent || turn.intent || "", maxlength: "128"});
    const rows = el("span", {class: "entity-rows"}, ...(corr.entities || turn.entities || []).map((e) => entityRow(e.entity, e.value)));
    const acts = el("input", {class: "correct-actions", placeholder: t("studio_should_do"), maxlength: "300",
      value: (corr.actions || turn.actions || []).join(", ")});
    return el("form", {class: "annotate", onsubmit: async (ev) => {
      ev.preventDefault();
      const entities = [...rows.querySelectorAll(".entity-row")].map((r) => ({
        entity: r.querySelector(".entity-name").value.trim(), value: r.querySelector(".entity-value").value}))
        .filter((e) => e.entity && e.value);
      try {
        const actions = acts.value.split(/[,，\s]+/).map((x) => x.trim()).filter(Boolean);
        const changed = actions.join(",") !== (turn.actions || []).join(",");
        const body = {intent: intent.value.trim(), entities};
        if (changed || corr.actions) body.actions = actions;
        await api("POST", "/designer/turns/" + turn.id + "/correction", body);
        await open(current.id);
      } catch (err) { message.textContent = t("error") + ": " + err.message; }
    }}, el("label", {}, t("studio_intent") + " ", intent), rows,
      el("button", {type: "button", class: "link add-entity", text: t("studio_add_entity"), onclick: () => rows.append(entityRow())}),
      el("label", {}, t("studio_should_do") + " ", acts),
      el("button", {type: "submit", class: "secondary save-annotation", text: t("studio_save")}));
  }
  function turnView(turn) {
    if (turn.role === "bot") return el("div", {class: "studio-turn bot", "data-turn": turn.id}, el("div", {text: t("role_bot") + ": " + turn.text}));
    const conf = turn.confidence === null || turn.confidence === undefined ? "" : turn.confidence.toFixed(2);
    const ents = turn.entities.map((e) => e.entity + "=" + e.value).join(", ");
    const meta = [t("studio_intent") + ": " + (turn.intent || "—") + (conf ? " (" + conf + ")" : ""),
      ents && t("studio_entities") + ": " + ents, turn.emotion && t("emotion") + ": " + turn.emotion,
      turn.actions.length && t("studio_actions") + ": " + turn.actions.join(" → ")].filter(Boolean).join(" · ");
    const pick = el("input", {type: "checkbox", class: "pick-turn", value: String(turn.id)});
    if (turn.correction) pick.checked = true;
    return el("div", {class: "studio-turn shopper" + (turn.correction ? " corrected" : ""), "data-turn": turn.id},
      el("div", {}, pick, " ", turn.text),
      el("div", {class: "meta", text: meta}),
      turn.correction ? el("div", {class: "meta correction", text: t("studio_corrected") + ": " + (turn.correction.intent || "") +
        (turn.correction.entities.length ? " · " + turn.correction.entities.map((e) => e.entity + "=" + e.value).join(", ") : "") +
        (turn.correction.actions ? " · " + turn.correction.actions.join(" → ") : "")}) : null,
      el("details", {}, el("summary", {text: t("studio_correct")}), annotateForm(turn)));
  }
  async function open(id) {
    current = await api("GET", "/designer/conversations/" + encodeURIComponent(id));
    detail.replaceChildren(el("h3", {text: current.id}), ...current.turns.map(turnView));
    document.getElementById("studio-tags").value = current.tags.join(", ");
    actions.hidden = false;
    for (const li of list.children) li.classList.toggle("current", li.dataset.id === id);
    document.body.dataset.studioOpen = id;
  }
  function showDiff(changes) {
    diff.replaceChildren(...changes.flatMap((c) => c.diff.split("\n").map((line) =>
      el("div", {class: line.startsWith("+") && !line.startsWith("+++") ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : "", text: line}))));
  }
  function change() {
    const kind = document.getElementById("studio-kind").value;
    const picked = [...detail.querySelectorAll(".pick-turn:checked")].map((x) => Number(x.value));
    const body = {kind, conversation_id: current.id, name: document.getElementById("studio-story-name").value};
    if (kind === "nlu") body.turn_ids = picked;  // a story is the whole conversation
    return body;
  }
  document.getElementById("studio-preview").addEventListener("click", async () => {
    message.textContent = ""; writeButton.disabled = true;
    try {
      staged = change();
      const data = await api("POST", "/designer/training/preview", staged);
      showDiff(data.changes);
      writeButton.disabled = false;
      document.body.dataset.studioPreview = "1";
    } catch (err) { message.textContent = t("error") + ": " + err.message; diff.replaceChildren(); }
  });
  writeButton.addEventListener("click", async () => {
    try {
      const data = await api("POST", "/designer/training/apply", staged);
      showDiff(data.changes);
      message.textContent = t("studio_written");
      writeButton.disabled = true;
    } catch (err) { message.textContent = t("error") + ": " + err.message; }
  });
  document.getElementById("studio-save-tags").addEventListener("click", async () => {
    const tags = document.getElementById("studio-tags").value.split(/[,，]/).map((x) => x.trim()).filter(Boolean);
    await api("PUT", "/designer/conversations/" + encodeURIComponent(current.id) + "/tags", {tags});
    await loadList();
  });
  document.getElementById("studio-filters").addEventListener("submit", (ev) => { ev.preventDefault(); loadList(); });

  /* training */
  const jobBox = document.getElementById("studio-job");
  const jobStatus = document.getElementById("studio-job-status");
  function pct(x) { return x === null || x === undefined ? "—" : (x * 100).toFixed(1) + " %"; }
  function comparison(job) {
    const nlu = job.comparison.nlu || {}, stories = job.comparison.stories || {};
    const langs = [...new Set(Object.values(nlu).flatMap((r) => r ? Object.keys(r.accuracy) : []))];
    const rows = langs.map((lang) => el("tr", {"data-lang": lang}, el("td", {text: t("studio_accuracy") + " · " + lang}),
      el("td", {class: "n", text: pct(nlu.candidate && nlu.candidate.accuracy[lang])}),
      el("td", {class: "n", text: pct(nlu.current && nlu.current.accuracy[lang])})));
    const st = (s) => s ? s.passed + " / " + s.total : "—";
    rows.push(el("tr", {"data-row": "stories"}, el("td", {text: t("studio_stories_passed")}),
      el("td", {class: "n", text: st(stories.candidate)}), el("td", {class: "n", text: st(stories.current)})));
    const confused = (nlu.candidate && nlu.candidate.confused) || [];
    return el("div", {}, el("h3", {text: t("studio_compare")}),
      el("table", {class: "kb-table", id: "studio-comparison"}, el("thead", {}, el("tr", {}, el("th"), el("th", {text: t("studio_candidate")}), el("th", {text: t("studio_current")}))), el("tbody", {}, ...rows)),
      el("h3", {text: t("studio_confusions")}),
      el("ul", {class: "plain small"}, ...confused.map((c) => el("li", {text: c.gold + " → " + c.predicted + ": " + c.count}))),
      job.status === "ready" ? el("button", {type: "button", id: "studio-accept", text: t("studio_accept"), onclick: () => accept(job)}) : null);
  }
  function render(job) {
    jobStatus.textContent = job.status === "running" ? t("studio_training") : job.status === "accepted" ? t("studio_accepted") : (job.error || job.status);
    jobBox.replaceChildren(el("ul", {class: "plain small"}, ...job.steps.map((s) => el("li", {"data-step": s.name, title: s.output, text: s.name + ": " + s.status + (s.seconds ? " (" + s.seconds + " s)" : "")}))),
      job.status === "ready" || job.status === "accepted" ? comparison(job) : null);
    document.body.dataset.studioJob = job.status;
  }
  async function poll(id) {
    const job = await api("GET", "/designer/train/" + id);
    render(job);
    if (job.status === "running") setTimeout(() => poll(id), 2000);
  }
  async function accept(job) {
    try { render(await api("POST", "/designer/train/" + job.id + "/accept")); }
    catch (err) { jobStatus.textContent = t("error") + ": " + err.message; }
  }
  document.getElementById("studio-train").addEventListener("click", async () => {
    try { const job = await api("POST", "/designer/train"); render(job); poll(job.id); }
    catch (err) { jobStatus.textContent = t("error") + ": " + err.message; }
  });

  api("GET", "/designer/vocabulary").then((v) => {
    document.getElementById("studio-intents").replaceChildren(...v.intents.map((x) => el("option", {value: x})));
    document.getElementById("studio-entity-names").replaceChildren(...v.entities.map((x) => el("option", {value: x})));
  });
  loadList();
})();
