/* Shared helpers of the console pages. Text is only ever inserted with textContent, so
   whatever a shopper typed is shown as text, never parsed as HTML. */
"use strict";
const Console = (() => {
  const bundle = JSON.parse(document.getElementById("bundle").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const base = "/console";

  function t(key, values) {
    let text = bundle.strings[key] || key;
    for (const [k, v] of Object.entries(values || {})) text = text.replace("{" + k + "}", v);
    return text;
  }
  function label(table, code) {
    if (code === null || code === undefined || code === "") return "";
    return (bundle.labels[table] || {})[code] || String(code);
  }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  async function api(method, path, body) {
    const options = {method, headers: {"X-CSRF-Token": csrf}, credentials: "same-origin"};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const resp = await fetch(base + "/api" + path, options);
    if (resp.status === 401) { location.href = base + "/login?next=" + encodeURIComponent(location.pathname); }
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    if (!resp.ok) {
      const err = new Error((data && data.message) || resp.statusText);
      err.status = resp.status; err.data = data;
      throw err;
    }
    return data;
  }
  /* The live socket: reconnects with backoff; onOpen lets a page re-sync what it missed. */
  function live(onEvent, onOpen) {
    const status = document.getElementById("live-status");
    let delay = 500;
    function connect() {
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      const ws = new WebSocket(proto + "//" + location.host + base + "/ws");
      ws.onopen = () => {
        delay = 500;
        if (status) { status.textContent = "● " + status.dataset.online; status.className = "live on"; }
        if (onOpen) onOpen();
      };
      ws.onmessage = (msg) => { try { onEvent(JSON.parse(msg.data)); } catch (e) { console.error(e); } };
      ws.onclose = (ev) => {
        // 4401: the session ended (logged out elsewhere, account disabled): log in again.
        if (ev.code === 4401) { location.href = base + "/login?next=" + encodeURIComponent(location.pathname); return; }
        if (status) { status.textContent = "● " + status.dataset.offline; status.className = "live off"; }
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 10000);
      };
    }
    connect();
  }
  function countdown(due) {
    const left = Math.round((new Date(due).getTime() - Date.now()) / 1000);
    const abs = Math.abs(left);
    const mm = Math.floor(abs / 60), ss = String(abs % 60).padStart(2, "0");
    const text = (left < 0 ? "-" : "") + mm + ":" + ss;
    return {left, text: left < 0 ? text + " " + t("breached") : text};
  }
  function tickSla(root) {
    for (const node of (root || document).querySelectorAll(".sla[data-due]")) {
      if (!node.dataset.due || ["resolved"].includes(node.dataset.status)) { node.textContent = ""; continue; }
      const c = countdown(node.dataset.due);
      node.textContent = "SLA " + c.text;
      node.classList.toggle("late", c.left < 0);
      node.classList.toggle("soon", c.left >= 0 && c.left < 120);
    }
  }
  function channelBadge(channel) {
    return el("span", {class: "channel ch-" + channel, title: label("channel", channel), text: label("channel", channel)});
  }
  function emotionBadge(emotion) {
    if (!emotion) return "";
    return el("span", {class: "emo emo-" + emotion, text: label("emotion", emotion)});
  }
  // Web links in shopper text (a picture's URL, a product page) become links an agent can open;
  // only http(s), built as elements, so nothing typed is ever parsed as HTML.
  const URL_RE = /https?:\/\/[^\s<>"'）)\]，。]+/g;
  function linkify(node) {
    const text = node.textContent;
    const parts = [];
    let last = 0, m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text))) {
      if (m.index > last) parts.push(document.createTextNode(text.slice(last, m.index)));
      parts.push(el("a", {href: m[0], target: "_blank", rel: "noopener noreferrer", text: m[0]}));
      last = URL_RE.lastIndex;
    }
    if (!parts.length) return node;
    if (last < text.length) parts.push(document.createTextNode(text.slice(last)));
    node.replaceChildren(...parts);
    return node;
  }
  function flash(id, message) {
    const node = document.getElementById(id);
    if (!node) return;
    node.textContent = message;
    node.classList.remove("hidden");
    clearTimeout(node._timer);
    node._timer = setTimeout(() => node.classList.add("hidden"), 6000);
  }
  setInterval(() => tickSla(), 1000);
  document.addEventListener("DOMContentLoaded", () => tickSla());
  return {bundle, t, label, el, api, live, tickSla, channelBadge, emotionBadge, flash, linkify, base};
})();
