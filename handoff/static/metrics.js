/* The dashboard's metrics: KPI tiles and Chart.js charts (vendored, served from
   /console/static/vendor) from /console/api/metrics; the knowledge base's misses. */
"use strict";
(() => {
  const S = JSON.parse(document.getElementById("metrics").dataset.strings);
  const $ = (id) => document.getElementById(id);
  const el = Console.el;
  const charts = {};
  const RATES = new Set(["fcr", "containment", "abandonment_rate", "transfer_rate"]);
  const COLORS = ["#2f6fdf", "#1a9e6a", "#e08a1e", "#c2410c", "#7c3aed", "#0891b2"];

  function show(key, value) {
    let text = "—";
    if (value !== null && value !== undefined) {
      if (RATES.has(key)) text = (value * 100).toFixed(1) + "%";
      else if (key.endsWith("_s")) text = Math.round(value) + S.seconds;
      else text = String(value);
    }
    $("metric-" + key).querySelector(".value").textContent = text;
  }
  function draw(id, type, labels, datasets, options) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart($(id), {type, data: {labels, datasets: datasets.map((d, i) => ({
      borderColor: COLORS[i % COLORS.length], backgroundColor: COLORS[i % COLORS.length], ...d}))},
      options: {responsive: true, animation: false, maintainAspectRatio: false, ...(options || {})}});
  }
  const pct = {scales: {y: {min: 0, max: 1, ticks: {callback: (v) => Math.round(v * 100) + "%"}}}};

  async function load() {
    const days = $("metrics-days").value;
    $("metrics-csv").href = "/console/api/metrics.csv?days=" + days;
    const r = await Console.api("GET", "/metrics?days=" + days);
    for (const key of ["fcr", "containment", "abandonment_rate", "transfer_rate", "first_response_s",
                       "aht_s", "csat_bot", "csat_human", "nps", "ces"]) show(key, r[key]);
    const dayKeys = r.by_day.map((d) => d.key);
    draw("chart-days", "line", dayKeys, ["fcr", "containment", "transfer_rate"].map((k) => ({
      label: S[k], data: r.by_day.map((d) => d[k])})), pct);
    draw("chart-channels", "bar", r.by_channel.map((c) => c.key), ["contacts", "tickets"].map((k) => ({
      label: S[k], data: r.by_channel.map((c) => c[k])})));
    draw("chart-agents", "bar", r.by_agent.map((a) => a.key), ["first_response_s", "aht_s"].map((k) => ({
      label: S[k], data: r.by_agent.map((a) => a[k])})));
    const reasons = Object.keys(r.transfer_by_reason);
    draw("chart-reasons", "bar", reasons.map((x) => Console.label("trigger", x) || x), [{
      label: S.transfer_rate, data: reasons.map((x) => r.transfer_by_reason[x])}], {indexAxis: "y",
      scales: {x: {min: 0, ticks: {callback: (v) => Math.round(v * 100) + "%"}}}});
    document.body.dataset.metricsLoaded = days;
  }
  async function misses() {
    const data = await Console.api("GET", "/kb/misses?days=30");
    const body = $("kb-misses").querySelector("tbody");
    if (!data.misses.length) { body.replaceChildren(el("tr", {}, el("td", {class: "muted", text: S.none}))); return; }
    body.replaceChildren(...data.misses.map((m) => el("tr", {},
      el("th", {class: "quote", text: m.question}), el("td", {class: "n", text: m.count}),
      el("td", {}, el("a", {href: "/console/kb?question=" + encodeURIComponent(m.question), text: S.add})))));
  }
  $("metrics-days").addEventListener("change", load);
  load();
  misses();
})();
