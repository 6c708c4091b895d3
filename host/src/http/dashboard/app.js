// Selvedge dashboard: plain JS over the admin API. Data is only ever inserted as text
// (never as HTML), so nothing a storefront or ERP sends can run in this page.
"use strict";
(function () {
  const TOKEN_KEY = "selvedge.adminToken";
  const $ = (id) => document.getElementById(id);
  const state = { clients: [], client: null, owners: new Set() };

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined) continue;
      node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return node;
  }

  function toast(text, bad) {
    const t = $("toast");
    t.textContent = text;
    t.className = bad ? "show bad" : "show";
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (t.className = ""), 3500);
  }

  class Unauthorized extends Error {}

  async function api(path, options) {
    const token = sessionStorage.getItem(TOKEN_KEY) || "";
    const opts = Object.assign({ headers: {} }, options || {});
    opts.headers = Object.assign({ Authorization: "Bearer " + token }, opts.headers);
    if (opts.json !== undefined) {
      opts.body = JSON.stringify(opts.json);
      opts.headers["Content-Type"] = "application/json";
      delete opts.json;
    }
    const res = await fetch(path, opts);
    if (res.status === 401) throw new Unauthorized("unauthorized");
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error || res.status + " " + res.statusText);
    return body;
  }

  function hashParams() {
    return new URLSearchParams(location.hash.replace(/^#/, ""));
  }

  function fmtTime(iso) {
    if (!iso) return "never";
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
  }

  function ago(iso) {
    if (!iso) return "never";
    const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 90) return s + "s ago";
    if (s < 5400) return Math.round(s / 60) + " min ago";
    return Math.round(s / 3600) + " h ago";
  }

  function secs(v) {
    if (typeof v !== "number") return "–";
    return v < 120 ? v.toFixed(1) + " s" : (v / 60).toFixed(1) + " min";
  }

  function showLogin(message) {
    $("main").hidden = true;
    $("login").hidden = false;
    $("logout").hidden = true;
    $("login-error").textContent = message || "";
    $("token-input").focus();
  }

  /** Signing out drops what the last token saw and could do, so the next token starts from nothing. */
  function forgetSession() {
    state.me = null;
    state.client = null;
    for (const id of ["exc-table", "ov-table", "jobs-table"]) $(id).tBodies[0].textContent = "";
    $("shadow-report").textContent = "";
    applyRole();
  }

  /** Show only the controls the signed-in token's role can use. */
  function applyRole() {
    const operator = can("operator");
    for (const id of ["pause", "resume", "run-now", "run-flow"]) if (!operator) $(id).hidden = true;
    // `hidden` loses to the form's CSS display: set it outright.
    $("swap-form").style.display = can("admin") ? "" : "none";
    $("shadow-panel").style.display = can("admin") ? "" : "none";
    $("resync-form").style.display = operator ? "" : "none";
  }

  const RANK = { metrics: 0, viewer: 1, operator: 2, admin: 3 };
  /** Whether the signed-in token's role includes `role`. */
  function can(role) {
    return (RANK[(state.me || {}).role] ?? 0) >= RANK[role];
  }

  const OV_PAGE = 50;
  state.ovOffset = 0;

  /** The all-clients overview: in trouble first, filtered and paged by the host. */
  async function loadOverview() {
    const q = new URLSearchParams({ limit: OV_PAGE, offset: state.ovOffset });
    if ($("ov-state").value) q.set("state", $("ov-state").value);
    if ($("ov-team").value.trim()) q.set("team", $("ov-team").value.trim());
    if ($("ov-q").value.trim()) q.set("q", $("ov-q").value.trim());
    const page = await api("/api/overview?" + q.toString());
    const body = $("ov-table").tBodies[0];
    body.textContent = "";
    for (const r of page.rows) {
      const last = Object.entries(r.last_success).map(([f, at]) => `${f} ${ago(at)}`).join(" · ");
      const teams = Object.entries(r.exceptions_by_team).map(([t, n]) => `${t}: ${n}`).join(", ");
      body.appendChild(h("tr", { "data-client": r.client, class: "state-" + r.state },
        h("td", { class: "state state-" + r.state }, r.state),
        h("td", {}, h("a", { href: "#", onclick: (ev) => { ev.preventDefault(); selectClient(r.client); } }, r.client)),
        h("td", {}, last || "never"),
        h("td", {}, r.inventory_lag_secs == null ? "-" : `${Math.round(r.inventory_lag_secs)} s`),
        h("td", {}, r.injection_success_24h == null ? "-" : `${(r.injection_success_24h * 100).toFixed(1)}%`),
        h("td", {}, teams || "0"),
        h("td", {}, r.plugin_version || "-"),
        h("td", {}, r.reasons.join("; ")),
      ));
    }
    if (!page.rows.length) body.appendChild(h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No client matches.")));
    $("ov-counts").textContent = Object.entries(page.counts).map(([s, n]) => `${n} ${s}`).join(" · ");
    $("ov-page").textContent = page.total ? `${state.ovOffset + 1}-${state.ovOffset + page.rows.length} of ${page.total}` : "";
    $("ov-prev").disabled = state.ovOffset === 0;
    $("ov-next").disabled = page.next_offset == null;
    state.ovNext = page.next_offset;
  }

  async function start() {
    if (!sessionStorage.getItem(TOKEN_KEY)) return showLogin();
    try {
      state.clients = await api("/api/clients");
    } catch (e) {
      if (e instanceof Unauthorized) {
        sessionStorage.removeItem(TOKEN_KEY);
        return showLogin("That token was refused.");
      }
      return showLogin("Cannot reach the host: " + e.message);
    }
    // What this token may do: the page shows only the controls it can use.
    try {
      state.me = await api("/api/whoami");
    } catch (e) {
      state.me = { role: "viewer" };
    }
    applyRole();
    $("login").hidden = true;
    $("main").hidden = false;
    $("logout").hidden = false;
    const nav = $("clients");
    nav.textContent = "";
    for (const c of state.clients) {
      nav.appendChild(h("button", { type: "button", "data-client": c.id, onclick: () => selectClient(c.id) }, c.id));
    }
    const p = hashParams();
    const wanted = p.get("client");
    if (p.get("owner")) $("exc-owner").dataset.wanted = p.get("owner");
    if (p.get("kind")) $("exc-kind").value = p.get("kind");
    await loadOverview().catch((e) => toast(e.message, true));
    const first = state.clients.find((c) => c.id === wanted) || state.clients[0];
    if (first) await selectClient(first.id, p.get("view"));
  }

  async function selectClient(id, view) {
    if (state.client !== id) $("shadow-report").textContent = "";
    state.client = id;
    for (const b of document.querySelectorAll("nav button")) b.classList.toggle("active", b.dataset.client === id);
    const p = hashParams();
    p.set("client", id);
    history.replaceState(null, "", "#" + p.toString());
    await refresh();
    if (view && $(view)) $(view).scrollIntoView();
  }

  async function refresh() {
    const id = state.client;
    if (!id) return;
    try {
      const [summary, series, groups, drift, plugin] = await Promise.all([
        api(`/api/clients/${encodeURIComponent(id)}/health`),
        api(`/api/clients/${encodeURIComponent(id)}/series?limit=60`),
        api(`/api/exceptions/summary?client=${encodeURIComponent(id)}`),
        api(`/api/clients/${encodeURIComponent(id)}/drift`),
        api(`/api/clients/${encodeURIComponent(id)}/plugin`),
      ]);
      renderHealth(summary);
      renderCharts(series);
      renderGroups(groups);
      renderDrift(drift);
      renderPlugin(plugin);
      await loadExceptions();
      await loadJobs();
      $("status-line").textContent = `${id} (${summary.storefront}) · updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      if (e instanceof Unauthorized) return showLogin("The token was refused.");
      toast(e.message, true);
    }
  }

  function card(label, value, tone) {
    return h("div", { class: "card " + (tone || "") }, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
  }

  /** Pause, resume and run-now for operators; everyone sees whether the client is paused. */
  function renderControl(s) {
    const paused = s.paused || [];
    $("paused-line").textContent = paused.length
      ? "Paused: " + paused.map((p) => `${p.flow === "*" ? "all flows" : p.flow} by ${p.by}`).join(", ")
      : "";
    const operator = can("operator");
    $("pause").hidden = !operator || paused.some((p) => p.flow === "*");
    $("resume").hidden = !operator || !paused.length;
    $("run-now").hidden = !operator || paused.length > 0;
    $("run-flow").hidden = $("run-now").hidden;
    const flows = $("run-flow");
    if (flows.dataset.client !== s.id) {
      flows.textContent = "";
      for (const f of s.flows) flows.appendChild(h("option", { value: f }, f));
      flows.dataset.client = s.id;
    }
  }

  async function control(path, body, done) {
    try {
      await api(`/api/clients/${encodeURIComponent(state.client)}/${path}`, { method: "POST", json: body });
      toast(done);
      await refresh();
      await loadOverview();
    } catch (e) {
      if (e instanceof Unauthorized) return showLogin("The token was refused.");
      toast(e.message, true);
    }
  }

  function renderHealth(s) {
    renderControl(s);
    const hl = s.health;
    const inv = hl.last_inventory;
    const rate = hl.injection_success_rate;
    const cards = $("cards");
    cards.textContent = "";
    cards.append(
      card("Last inventory cycle", inv ? ago(inv.finished_at || inv.started_at) : "never", inv && inv.status === "failed" ? "bad" : ""),
      card("Cycle latency", secs(hl.cycle_latency_secs), hl.cycle_latency_secs > 900 ? "warn" : ""),
      card("Inventory updates / h", hl.inventory_updates_last_hour),
      card("API calls / 429s", `${hl.api_calls} / ${hl.throttled}`, hl.throttled > 0 ? "warn" : ""),
      card("Order queue", hl.order_queue_depth, hl.order_queue_depth > 50 ? "warn" : ""),
      card("Injection success", typeof rate === "number" ? (rate * 100).toFixed(1) + " %" : "–", typeof rate === "number" && rate < 0.95 ? "bad" : "ok"),
      card("Unresolved exceptions", s.unresolved_exceptions, s.unresolved_exceptions > 0 ? "bad" : "ok"),
      card("Plugin", s.plugin_version || "none"),
      webhookAuthCard(hl.webhook_auth),
    );
    const body = $("flows").tBodies[0];
    body.textContent = "";
    for (const f of hl.flows) {
      const r = f.last_run;
      body.appendChild(h("tr", {},
        h("td", {}, f.flow),
        h("td", {}, r ? fmtTime(r.started_at) : "never"),
        h("td", { class: r ? "status-" + r.status : "" }, r ? r.status : "–"),
        h("td", {}, ago(f.last_success_at)),
        h("td", { class: r && r.error ? "error" : "muted" }, r ? r.error || runSummary(r) : ""),
      ));
    }
  }

  // Refused webhook deliveries: after a secret rotation the storefront's old secret shows here.
  function webhookAuthCard(w) {
    const failed = w && w.failures > 0;
    const c = card("Webhook auth failures", failed ? `${w.failures}, last at ${fmtTime(w.last_at)}` : "0", failed ? "bad" : "ok");
    c.id = "webhook-auth";
    if (failed) c.title = `latest: ${w.last_reason}`;
    return c;
  }

  function runSummary(r) {
    const parts = [];
    if (typeof r.records === "number") parts.push(`${r.records} read`);
    if (typeof r.changed === "number") parts.push(`${r.changed} changed`);
    if (typeof r.api_calls === "number") parts.push(`${r.api_calls} calls`);
    return parts.join(", ");
  }

  function renderCharts(series) {
    window.SelvedgeCharts.line($("lag-chart"),
      series.inventory_lag.map((p) => ({ at: p.at, y: p.latency_secs, bad: p.status === "failed" })),
      "No inventory cycle yet.");
    window.SelvedgeCharts.bars($("injection-chart"),
      series.injection.map((p) => ({ at: p.at, y: typeof p.success_rate === "number" ? p.success_rate * 100 : null, label: `${p.injected}/${p.attempted}` })),
      "No order injected or failed yet.");
  }

  function renderGroups(groups) {
    const box = $("owner-groups");
    box.textContent = "";
    const owners = $("exc-owner");
    for (const g of groups) state.owners.add(g.owner);
    const current = owners.value || owners.dataset.wanted || "";
    owners.textContent = "";
    owners.appendChild(h("option", { value: "" }, "any"));
    for (const o of [...state.owners].sort()) owners.appendChild(h("option", { value: o, selected: o === current }, o));
    if (!groups.length) box.appendChild(h("p", { class: "muted" }, "No unresolved exceptions."));
    for (const g of groups) {
      const pick = () => { $("exc-owner").value = g.owner; $("exc-kind").value = ""; loadExceptions().catch((e) => toast(e.message, true)); };
      box.appendChild(h("div", { class: "card bad clickable", "data-owner": g.owner, title: "show " + g.owner + "'s exceptions", onclick: pick },
        h("div", { class: "label" }, "owner: " + g.owner),
        h("div", { class: "value" }, g.total),
        h("div", { class: "label" }, g.kinds.map((k) => `${k.kind}: ${k.open + k.retrying}`).join(" · ")),
      ));
    }
  }

  async function loadExceptions() {
    const q = new URLSearchParams({ client: state.client, state: $("exc-state").value });
    if ($("exc-owner").value) q.set("owner", $("exc-owner").value);
    if ($("exc-kind").value.trim()) q.set("kind", $("exc-kind").value.trim());
    const rows = await api("/api/exceptions?" + q.toString());
    const typed = typedNotes("exc-table", "data-exception-id");
    const body = $("exc-table").tBodies[0];
    body.textContent = "";
    if (!rows.length) body.appendChild(h("tr", {}, h("td", { colspan: 9, class: "muted" }, "Nothing here.")));
    for (const e of rows) {
      const note = h("input", { class: "note", placeholder: "note", "aria-label": "note for " + e.id });
      note.value = typed.get(String(e.id)) || "";
      const done = e.state === "resolved";
      body.appendChild(h("tr", { "data-exception-id": e.id },
        h("td", {}, h("a", { href: "#", onclick: (ev) => { ev.preventDefault(); showDetail(e.id); } }, "#" + e.id)),
        h("td", { class: "state state-" + e.state }, e.state),
        h("td", {}, e.owner), h("td", {}, e.kind), h("td", {}, e.subject), h("td", {}, e.summary),
        h("td", {}, `${e.occurrences}× · ${ago(e.last_seen)}`),
        h("td", {}, done || !can("operator") ? "" : note),
        h("td", {}, done || !can("operator") ? "" : [
          h("button", { type: "button", class: "retry", onclick: () => act(e.id, "retry", note.value) }, "Retry"), " ",
          h("button", { type: "button", class: "resolve primary", onclick: () => act(e.id, "resolve", note.value) }, "Resolve"),
        ]),
      ));
    }
  }

  /** Notes typed in a table's rows, by row id: a re-render (the 15 s refresh) keeps them. */
  function typedNotes(tableId, attr) {
    const notes = new Map();
    for (const row of $(tableId).tBodies[0].rows) {
      const input = row.querySelector("input.note");
      if (input && input.value) notes.set(row.getAttribute(attr), input.value);
    }
    return notes;
  }

  /** The client's queued jobs, with a cancel button for operators. */
  async function loadJobs() {
    const page = await api(`/api/clients/${encodeURIComponent(state.client)}/jobs?state=queued&limit=50`);
    const typed = typedNotes("jobs-table", "data-job-id");
    const body = $("jobs-table").tBodies[0];
    body.textContent = "";
    if (!page.jobs.length) body.appendChild(h("tr", {}, h("td", { colspan: 8, class: "muted" }, "Nothing queued.")));
    for (const j of page.jobs) {
      const note = h("input", { class: "note", placeholder: "why", "aria-label": "why job " + j.id + " is cancelled" });
      note.value = typed.get(String(j.id)) || "";
      body.appendChild(h("tr", { "data-job-id": j.id },
        h("td", {}, "#" + j.id), h("td", {}, j.kind.split("/")[0]), h("td", {}, j.key),
        h("td", {}, `${j.attempts}/${j.max_attempts}`), h("td", {}, fmtTime(j.run_at)), h("td", {}, j.last_error || ""),
        h("td", {}, can("operator") ? note : ""),
        h("td", {}, can("operator") ? h("button", { type: "button", class: "cancel-job", onclick: () => cancelJob(j.id, note.value) }, "Cancel") : ""),
      ));
    }
  }

  async function cancelJob(id, note) {
    try {
      const j = await api(`/api/clients/${encodeURIComponent(state.client)}/jobs/${id}/cancel`, { method: "POST", json: { note: note.trim() || null } });
      toast(`Job #${id}: ${j.last_error}`);
      await loadJobs();
    } catch (e) {
      if (e instanceof Unauthorized) return showLogin("The token was refused.");
      toast(e.message, true);
    }
  }

  async function act(id, action, note) {
    if (action === "resolve" && !note.trim()) return toast("Write a note saying what was done, then resolve.", true);
    try {
      await api(`/api/exceptions/${id}/${action}`, { method: "POST", json: { note: note.trim() || null, actor: `${(state.me || {}).name || "token"} (dashboard)` } });
      toast(`Exception #${id}: ${action === "retry" ? "retry requested" : "resolved"}`);
      await refresh();
      await showDetail(id);
    } catch (e) {
      if (e instanceof Unauthorized) return showLogin("The token was refused.");
      toast(e.message, true);
    }
  }

  async function showDetail(id) {
    const d = await api(`/api/exceptions/${id}`);
    const box = $("exc-detail");
    box.textContent = "";
    box.append(
      h("h3", {}, `#${d.exception.id} ${d.exception.kind} · ${d.exception.subject} · `, h("span", { class: "state-" + d.exception.state, id: "detail-state" }, d.exception.state)),
      h("table", {}, h("tbody", {}, d.history.map((x) => h("tr", {}, h("td", {}, fmtTime(x.at)), h("td", {}, x.action), h("td", {}, x.actor), h("td", {}, x.note || ""))))),
      h("pre", {}, JSON.stringify(d.exception.details, null, 2)),
    );
    for (const tr of document.querySelectorAll("#exc-table tr")) tr.classList.toggle("selected", tr.dataset.exceptionId === String(id));
  }

  function renderDrift(d) {
    const box = $("drift-body");
    box.textContent = "";
    const r = d.last_run;
    box.append(
      h("div", { class: "cards" },
        card("Last reconciliation", r ? ago(r.finished_at || r.started_at) : "never", r && r.status === "failed" ? "bad" : ""),
        card("Orders drifted", d.order_drift ?? "–", d.order_drift > 0 ? "bad" : ""),
        card("SKU-locations drifted", d.stock_drift ?? "–", d.stock_drift > 0 ? "bad" : ""),
        card("SKUs on one side only", d.sku_missing ?? "–", d.sku_missing > 0 ? "warn" : ""),
      ),
      d.exceptions.length
        ? h("table", {}, h("thead", {}, h("tr", {}, ["Id", "Kind", "Subject", "Summary"].map((t) => h("th", {}, t)))),
            h("tbody", {}, d.exceptions.map((e) => h("tr", {}, h("td", {}, "#" + e.id), h("td", {}, e.kind), h("td", {}, e.subject), h("td", {}, e.summary)))))
        : h("p", { class: "muted" }, "No unresolved drift or SKU exceptions."),
    );
  }

  function renderPlugin(p) {
    const box = $("plugin-body");
    box.textContent = "";
    box.append(
      h("p", {}, p.plugin ? `Active: ${p.plugin} ${p.version.slice(0, 12)}${p.label ? " (" + p.label + ")" : ""}` : "No plugin active."),
      h("p", { class: "muted" }, p.previous.length ? "Ready for rollback: " + p.previous.map((v) => v.slice(0, 12)).join(", ") : "Nothing to roll back to."),
      h("table", {}, h("thead", {}, h("tr", {}, ["Version", "Label", "Activated", "Why", "Until"].map((t) => h("th", {}, t)))),
        h("tbody", {}, p.history.map((v) => h("tr", {}, h("td", {}, v.version.slice(0, 12)), h("td", {}, v.label), h("td", {}, fmtTime(v.activated_at)), h("td", {}, v.reason), h("td", {}, v.deactivated_at ? fmtTime(v.deactivated_at) : "active"))))),
    );
    $("rollback").disabled = !p.previous.length;
  }

  async function pluginAction(path, json) {
    const msg = $("plugin-msg");
    msg.textContent = "working…";
    try {
      const r = await api(`/api/clients/${encodeURIComponent(state.client)}/plugin/${path}`, { method: "POST", json });
      msg.textContent = `${r.plugin}: ${r.from ? r.from.slice(0, 12) : "-"} → ${r.to.slice(0, 12)} (${r.fixtures_passed} fixtures passed, ${r.duration_ms.toFixed(0)} ms)`;
      await refresh();
    } catch (e) {
      msg.textContent = e.message;
      msg.className = "error";
    }
  }

  /** The candidate .wasm chosen on the page, run beside the live build on recorded calls. */
  async function shadowRun(ev) {
    ev.preventDefault();
    const file = $("shadow-file").files[0];
    const out = $("shadow-report");
    out.textContent = "";
    if (!file) return toast("Choose the candidate .wasm first.", true);
    const calls = Math.min(100, Math.max(1, parseInt($("shadow-calls").value, 10) || 5));
    const client = state.client;
    $("shadow-run").disabled = true;
    out.setAttribute("aria-busy", "true");
    out.appendChild(h("p", { class: "muted", id: "shadow-busy" }, `Running ${file.name} beside the live build on up to ${calls} recorded call(s) per rule…`));
    try {
      const r = await api(`/api/clients/${encodeURIComponent(client)}/plugin/shadow?calls=${calls}`,
        { method: "POST", body: file, headers: { "Content-Type": "application/wasm" } });
      renderShadow(r);
    } catch (e) {
      if (e instanceof Unauthorized) return showLogin("The token was refused.");
      out.textContent = "";
      out.appendChild(h("p", { class: "error", id: "shadow-error" }, e.message));
    } finally {
      $("shadow-run").disabled = false;
      out.removeAttribute("aria-busy");
    }
  }

  /** A stock decision as a few words; any other decision as its JSON. */
  function decision(v) {
    if (v === null || v === undefined) return "no decision";
    if (typeof v.ats === "number") return `ATS ${v.ats}, buffer ${v.buffer}` + (v.reasons ? ` (${v.reasons.join(", ")})` : "");
    if (v.error) return "error: " + v.error;
    return h("code", {}, JSON.stringify(v));
  }

  function signed(n) {
    return n > 0 ? "+" + n : String(n);
  }

  /** A shadow report: per rule what changed, the first changed decisions, and accept. */
  function renderShadow(r) {
    const out = $("shadow-report");
    out.textContent = "";
    const [cand, live] = [r.candidate.slice(0, 12), r.live.slice(0, 12)];
    const on = `${r.calls} recorded call(s) of ${r.client} (run #${r.run_id})`;
    out.append(h("p", { id: "shadow-verdict", class: "sentence " + (r.clean ? "clean" : "changed") }, r.clean
      ? `No differences: candidate ${cand} decides as live ${live} on ${on}.`
      : `${r.changed} decision(s) change: candidate ${cand} vs live ${live} on ${on}.`));
    out.append(h("table", { id: "shadow-rules" },
      h("thead", {}, h("tr", {}, ["Rule", "Calls run", "Subjects compared", "Changed", "ATS change (total, lowest, highest)"].map((t) => h("th", {}, t)))),
      h("tbody", {}, r.rules.map((x) => h("tr", { "data-rule": x.call, class: x.changed ? "changed" : "" },
        h("td", {}, x.call), h("td", { class: "calls" }, x.calls), h("td", { class: "subjects" }, x.subjects),
        h("td", { class: "changed" }, x.changed),
        h("td", { class: "ats-delta" }, x.ats_delta ? `${signed(x.ats_delta.total)} (${signed(x.ats_delta.min)} … ${signed(x.ats_delta.max)})` : "–"))))));
    const examples = r.rules.flatMap((x) => x.examples.map((e) => Object.assign({ rule: x.call }, e)));
    if (examples.length) {
      out.append(h("h3", {}, "First changed decisions"), h("table", { id: "shadow-examples" },
        h("thead", {}, h("tr", {}, ["Rule", "Subject", "Live", "Candidate", "ATS change"].map((t) => h("th", {}, t)))),
        h("tbody", {}, examples.map((e) => h("tr", {},
          h("td", {}, e.rule), h("td", { class: "subject" }, e.subject), h("td", {}, decision(e.live)),
          h("td", {}, decision(e.candidate)), h("td", {}, typeof e.ats_delta === "number" ? signed(e.ats_delta) : ""))))));
    }
    if (r.clean) return;
    const by = h("input", { id: "shadow-by", placeholder: "your name", "aria-label": "who reviewed the differences", required: true, value: (state.me || {}).name });
    out.append(h("form", { id: "shadow-accept", class: "inline", onsubmit: (ev) => acceptShadow(ev, r, by.value) },
      by, h("button", { type: "submit", class: "primary" }, "Accept differences")));
  }

  /** Records that `by` reviewed run `r`'s differences: under require_shadow it may then go live. */
  async function acceptShadow(ev, r, by) {
    ev.preventDefault();
    if (!by.trim()) return toast("Name who reviewed the differences, then accept.", true);
    try {
      const a = await api(`/api/clients/${encodeURIComponent(r.client)}/plugin/shadow/${r.run_id}/accept`, { method: "POST", json: { by: by.trim() } });
      ev.target.replaceWith(h("p", { id: "shadow-accepted", class: "sentence clean" }, `Run #${a.run_id} accepted by ${a.accepted_by}: its candidate may now be swapped in.`));
      toast(`Shadow run #${a.run_id} accepted`);
    } catch (e) {
      if (e instanceof Unauthorized) return showLogin("The token was refused.");
      toast(e.message, true);
    }
  }

  /** One order, SKU or style re-synced now; the host's answer is shown as it says it. */
  async function resync(ev) {
    ev.preventDefault();
    const kind = $("resync-kind").value;
    const subject = $("resync-subject").value.trim();
    const out = $("resync-answer");
    out.textContent = "";
    if (!subject) return;
    const body = { [kind]: subject };
    const location = $("resync-location").value.trim();
    if (kind === "sku" && location) body.location = location;
    try {
      const a = await api(`/api/clients/${encodeURIComponent(state.client)}/resync`, { method: "POST", json: body });
      out.className = "sentence resync-" + a.status;
      out.textContent = a.message;
      toast(`${kind} ${subject}: ${a.status}`);
      await refresh();
    } catch (e) {
      if (e instanceof Unauthorized) return showLogin("The token was refused.");
      out.className = "sentence error";
      out.textContent = e.message;
      toast(e.message, true);
    }
  }

  async function explain(ev) {
    ev.preventDefault();
    const subject = $("why-subject").value.trim();
    const box = $("why-body");
    box.textContent = "";
    if (!subject) return;
    try {
      const w = await api(`/api/clients/${encodeURIComponent(state.client)}/why/${$("why-kind").value}/${encodeURIComponent(subject)}`);
      if (w.order) {
        box.appendChild(h("p", {}, `Order state: ${w.order.state}${w.order.erp_order_no ? " as ERP order " + w.order.erp_order_no : ""}, ${w.order.attempts} attempt(s)${w.order.last_error ? " · last error: " + w.order.last_error : ""}`));
      }
      for (const d of w.decisions) {
        box.appendChild(h("div", { class: "card" },
          h("div", { class: "label" }, `${fmtTime(d.at)} · ${d.flow} · plugin ${d.plugin_id} ${d.plugin_version.slice(0, 12)}`),
          h("p", { class: "sentence" }, d.sentence || ""),
          h("details", {},
            h("summary", {}, "details"),
            h("pre", {}, "why: " + JSON.stringify(d.reason, null, 2) + "\nvalue: " + JSON.stringify(d.value, null, 2)))));
      }
      for (const a of (w.buffer_advice || [])) {
        box.appendChild(h("div", { class: "card advice" },
          h("div", { class: "label" }, `Buffer advice · ${a.location} · ${a.recommended_buffer} (now ${a.current_buffer}, rule ${a.rule})`),
          h("p", {}, a.why)));
      }
      for (const e of w.exceptions) box.appendChild(h("p", { class: "error" }, `exception #${e.id} (${e.state}): ${e.summary}`));
      if (!w.decisions.length && !w.order) box.appendChild(h("p", { class: "muted" }, "No decision recorded."));
    } catch (e) {
      box.appendChild(h("p", { class: "error" }, e.message));
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
      $("token-input").value = "";
      start();
    });
    $("logout").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); forgetSession(); showLogin(); });
    $("pause").addEventListener("click", () => control("pause", {}, `${state.client} paused`));
    $("resume").addEventListener("click", () => control("resume", {}, `${state.client} resumed`));
    $("run-now").addEventListener("click", () => control(`run/${encodeURIComponent($("run-flow").value)}`, {}, `${$("run-flow").value} of ${state.client} asked to run`));
    const reload = () => { state.ovOffset = 0; loadOverview().catch((e) => toast(e.message, true)); };
    $("ov-state").addEventListener("change", reload);
    $("ov-team").addEventListener("change", reload);
    $("ov-q").addEventListener("input", reload);
    $("ov-prev").addEventListener("click", () => { state.ovOffset = Math.max(0, state.ovOffset - OV_PAGE); loadOverview().catch((e) => toast(e.message, true)); });
    $("ov-next").addEventListener("click", () => { if (state.ovNext != null) { state.ovOffset = state.ovNext; loadOverview().catch((e) => toast(e.message, true)); } });
    $("exc-state").addEventListener("change", () => loadExceptions().catch((e) => toast(e.message, true)));
    $("exc-owner").addEventListener("change", () => loadExceptions().catch((e) => toast(e.message, true)));
    $("exc-kind").addEventListener("change", () => loadExceptions().catch((e) => toast(e.message, true)));
    $("swap-form").addEventListener("submit", (ev) => { ev.preventDefault(); pluginAction("swap", { path: $("swap-path").value.trim() }); });
    $("rollback").addEventListener("click", () => pluginAction("rollback"));
    $("shadow-form").addEventListener("submit", shadowRun);
    $("why-form").addEventListener("submit", explain);
    $("resync-form").addEventListener("submit", resync);
    // Refresh while the tab is visible; actions refresh at once.
    setInterval(() => { if (!document.hidden && state.client && !$("main").hidden) refresh(); }, 15000);
    start();
  });
})();
