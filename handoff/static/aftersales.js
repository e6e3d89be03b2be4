/* After-sales in the console: the ticket page's customer 360, compensation and case forms,
   a case's update form, and the supervisors' approvals. Text goes in with textContent only. */
"use strict";
(() => {
  const {t, el, api, flash} = Console;
  const money = (v) => "¥" + Number(v).toFixed(2);
  const item = (...parts) => el("li", {}, ...parts);
  function fill(id, rows, render) {
    const list = document.getElementById(id);
    if (!list) return;
    list.replaceChildren(...(rows.length ? rows.map(render) : [item(el("span", {class: "muted", text: t("nothing")}))]));
  }
  function showError(id, err) { flash(id, t("error") + ": " + (err.message || err)); }

  // -- ticket page -----------------------------------------------------------------------
  const root = document.getElementById("ticket-root");
  async function load360() {
    const data = await api("GET", `/tickets/${root.dataset.id}/customer`);
    document.getElementById("c360-anonymous").classList.toggle("hidden", !!data.customer_id);
    fill("c360-orders", data.orders, (o) => item(el("span", {class: "mono", text: o.order_id}), " ",
      Console.label("order_status", o.status), o.amount != null ? " · " + money(o.amount) : ""));
    fill("c360-tickets", data.earlier_tickets, (k) => item(
      el("a", {href: `${Console.base}/tickets/${k.id}`, text: "#" + k.id}), " ",
      Console.channelBadge(k.channel), " ", (k.created_at || "").slice(0, 10), " · ",
      Console.label("status", k.status), " · ", t("csat") + ": " + (k.csat == null ? "—" : k.csat)));
    fill("c360-channels", data.other_channels, (c) => item(Console.channelBadge(c.channel), " ",
      el("span", {class: "mono", text: c.id || c.conversation_id}), " ",
      ...(c.tickets || []).slice(0, 1).flatMap((k) => (k.last || []).map((m) =>
        el("div", {class: "small", text: t("role_" + m.role) + ": " + m.text})))));
    fill("c360-cases", data.cases, (c) => item(
      el("a", {href: `${Console.base}/cases/${c.id}`, class: "mono", text: c.case_ref}), " ",
      t("case_kind_" + c.kind), " · ", t("case_status_" + c.status), " · ", t("dept_" + c.department),
      c.overdue ? el("span", {class: "badge risk", text: t("overdue")}) : ""));
    fill("c360-grants", data.grants, (g) => item(t("kind_" + g.kind), " ", money(g.amount), " · ",
      el("span", {class: "grant-status", text: t("grant_status_" + g.status)}), " · ", g.requested_by,
      g.decided_by && g.decided_by !== g.requested_by ? " → " + g.decided_by : ""));
    fill("c360-notes", data.notes, (n) => item(el("span", {class: "muted", text: n.author}), " ", n.text));
    const select = document.getElementById("grant-order");
    select.replaceChildren(...data.orders.map((o) => el("option", {value: o.order_id, text: o.order_id})));
  }
  async function loadLimits() {
    const data = await api("GET", "/compensation/limits");
    document.getElementById("my-limit").textContent = t("my_limit", {level: data.level});
  }
  if (root && document.getElementById("customer360")) {
    load360().catch((err) => showError("grant-result", err));
    loadLimits().catch(() => {});
    document.getElementById("c360-note-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const input = document.getElementById("c360-note");
      try {
        await api("POST", `/tickets/${root.dataset.id}/customer/notes`, {text: input.value});
        input.value = "";
        await load360();
      } catch (err) { showError("grant-result", err); }
    });
    document.getElementById("grant-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = {kind: document.getElementById("grant-kind").value,
                    reason: document.getElementById("grant-reason").value,
                    amount: document.getElementById("grant-amount").value,
                    order_id: document.getElementById("grant-order").value,
                    note: document.getElementById("grant-note").value};
      try {
        const grant = await api("POST", `/tickets/${root.dataset.id}/aftersales/grants`, body);
        flash("grant-result", grant.status === "granted" ? t("grant_granted")
          : t("grant_pending", {why: grant.limit_reason || ""}));
        await load360();
      } catch (err) { showError("grant-result", err); }
    });
    document.getElementById("case-open-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api("POST", `/tickets/${root.dataset.id}/aftersales/cases`, {
          kind: document.getElementById("case-kind").value,
          description: document.getElementById("case-description").value});
        document.getElementById("case-description").value = "";
        await load360();
      } catch (err) { showError("grant-result", err); }
    });
  }

  // -- a case's page ---------------------------------------------------------------------
  const caseRoot = document.getElementById("case");
  if (caseRoot) {
    document.getElementById("case-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api("POST", `/cases/${caseRoot.dataset.id}`, {
          status: document.getElementById("case-new-status").value,
          department: document.getElementById("case-new-department").value,
          note: document.getElementById("case-note").value,
          tell_shopper: document.getElementById("case-tell").checked});
        location.reload();
      } catch (err) { showError("case-result", err); }
    });
  }

  // -- approvals -------------------------------------------------------------------------
  const table = document.getElementById("approval-table");
  async function loadApprovals() {
    const data = await api("GET", "/grants");
    document.getElementById("no-approvals").classList.toggle("hidden", data.grants.length > 0);
    table.tBodies[0].replaceChildren(...data.grants.map((g) => {
      const note = el("input", {class: "decision-note", maxlength: "4000", placeholder: t("decision_note")});
      const decide = (approve) => async () => {
        try {
          await api("POST", `/grants/${g.id}/decision`, {approve, note: note.value});
          flash("approval-result", approve ? t("grant_approved") : t("grant_rejected"));
          await loadApprovals();
        } catch (err) { showError("approval-result", err); }
      };
      return el("tr", {"data-id": String(g.id)},
        el("td", {text: "#" + g.id}), el("td", {text: t("kind_" + g.kind)}),
        el("td", {text: t("reason_" + g.reason)}), el("td", {text: money(g.amount)}),
        el("td", {class: "mono", text: g.order_id}),
        el("td", {text: g.requested_by + " (" + g.requester_level + ")"}),
        el("td", {class: "small", text: g.limit_reason || ""}),
        el("td", {}, note, el("button", {type: "button", class: "primary approve", text: t("approve"), onclick: decide(true)}),
          el("button", {type: "button", class: "secondary reject", text: t("reject"), onclick: decide(false)})));
    }));
  }
  if (table) {
    loadApprovals().catch((err) => showError("approval-result", err));
    Console.live((event) => { if (event.type === "grant.pending") loadApprovals(); });
  }
})();
