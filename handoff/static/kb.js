/* Knowledge-base editor: list, create, edit, delete articles; try a question the way the
   bot would ask it. Text is inserted with textContent only. */
"use strict";
(() => {
  const S = JSON.parse(document.getElementById("kb").dataset.strings);
  const $ = (id) => document.getElementById(id);
  const el = Console.el;

  function fill(article) {
    $("kb-id").value = article ? article.id : "";
    $("kb-title").value = article ? article.title : "";
    $("kb-language").value = article ? article.language : "zh";
    $("kb-tags").value = article ? article.tags.join(", ") : "";
    $("kb-body").value = article ? article.body : "";
    $("kb-delete").disabled = !article;
  }
  function status(text) { $("kb-status").textContent = text; }

  async function load() {
    const data = await Console.api("GET", "/kb/articles");
    const body = $("kb-articles");
    body.replaceChildren(...data.articles.map((a) => el("tr", {"data-id": a.id},
      el("td", {}, el("a", {href: "#", class: "kb-open", onclick: (ev) => { ev.preventDefault(); open(a.id); }}, a.title)),
      el("td", {text: a.language}),
      el("td", {class: "muted", text: (a.updated_at || "").slice(0, 16).replace("T", " ")}))));
  }
  async function open(id) { fill(await Console.api("GET", "/kb/articles/" + id)); status(""); }

  $("kb-new").addEventListener("click", () => { fill(null); status(""); $("kb-title").focus(); });
  $("kb-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const article = {title: $("kb-title").value, language: $("kb-language").value,
      body: $("kb-body").value,
      tags: $("kb-tags").value.split(/[,,]/).map((t) => t.trim()).filter(Boolean)};
    const id = $("kb-id").value;
    try {
      const saved = await Console.api(id ? "PUT" : "POST", "/kb/articles" + (id ? "/" + id : ""), article);
      fill(saved);
      status(S.saved);
      await load();
    } catch (err) { status(err.message); }
  });
  $("kb-delete").addEventListener("click", async () => {
    const id = $("kb-id").value;
    if (!id || !window.confirm(S.confirm)) return;
    await Console.api("DELETE", "/kb/articles/" + id);
    fill(null);
    status(S.deleted);
    await load();
  });
  $("kb-try").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const q = $("kb-question").value.trim();
    if (!q) return;
    const data = await Console.api("GET", "/kb/search?q=" + encodeURIComponent(q));
    const list = $("kb-hits");
    if (!data.hits.length) { list.replaceChildren(el("li", {class: "muted", text: S.none})); return; }
    list.replaceChildren(...data.hits.map((h) => el("li", {class: h.confident ? "hit confident" : "hit"},
      el("a", {href: "#", onclick: (e) => { e.preventDefault(); open(h.article.id); }}, h.article.title),
      " ", el("span", {class: "muted", text: Math.round(h.confidence * 100) + "% · " + (h.confident ? S.confident : S.weak)}))));
  });
  load();
  if ($("kb-question").value) $("kb-try").requestSubmit();
})();
