// GET /: repmgrd's status page. One self-contained HTML document (no external
// script, style, font or image: it must work on a host without Internet
// access and must not leak the operator's browsing to a CDN) that reads
// GET /status/cluster from the same repmgrd every 2 s and redraws itself.
#include <openssl/rand.h>

#include <array>
#include <string>

#include "daemon/http/http_status.hpp"

namespace repmgr::repmgrd {
namespace {

// Every value from the cluster (names, reasons, event details: anything a
// DBA or a server wrote) reaches the DOM through textContent, never as
// markup; the page keeps that promise even for data it has not seen yet.
// "{{nonce}}" is replaced by the response's CSP nonce.
constexpr const char* kPage = R"page(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>repmgr cluster status</title>
<style nonce="{{nonce}}">
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --dim: #6e7781; --line: #8c959f; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.2em 2em; }
h1 { font-size: 1.3em; margin: 0 0 .2em; }
h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
#meta, .dim, .via { color: var(--dim); }
#problem { color: var(--bad); font-weight: 600; }
#primary { font-weight: 600; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 1.6em; }
ul.tree { padding-left: 0; }
ul.tree ul li { border-left: 1px solid var(--line); padding-left: 1em; position: relative; }
ul.tree ul li::before { content: ""; position: absolute; left: 0; top: 1.2em; width: .8em;
  border-top: 1px solid var(--line); }
.card { display: inline-block; border: 1px solid var(--line); border-radius: 6px;
  padding: .35em .7em; margin: .3em 0; max-width: 60em; }
.card.current-primary { border-width: 2px; border-color: var(--ok); }
.card.down { border-color: var(--bad); }
.name { font-weight: 600; }
.badge { display: inline-block; border-radius: 1em; padding: 0 .6em; margin-left: .4em;
  font-size: .85em; border: 1px solid var(--line); }
.badge.primary { background: #dafbe1; color: #116329; }
.badge.standby { background: #ddf4ff; color: #0a3069; }
.badge.witness { background: #fff8c5; color: #4d2d00; }
.badge.yes { color: var(--ok); } .badge.no { color: var(--bad); } .badge.unknown { color: var(--dim); }
.badge.inactive { color: var(--bad); }
.note { color: var(--bad); }
.reason { font-style: italic; }
table { border-collapse: collapse; }
td, th { text-align: left; padding: .15em .8em .15em 0; vertical-align: top; }
td.failed { color: var(--bad); }
body.stale #cluster { opacity: .5; }
</style>
</head>
<body>
<h1>repmgr cluster <span id="observer" class="dim"></span></h1>
<div id="meta">current primary: <span id="primary">-</span>
 &middot; refreshed <span id="refreshed">never</span>
 &middot; <span id="refreshes">0</span> refreshes <span id="problem"></span></div>
<div id="cluster">
<h2>Nodes</h2>
<ul id="tree" class="tree"></ul>
<h2>Witness</h2>
<ul id="witnesses" class="tree"></ul>
<h2>Recent events</h2>
<table id="events"><thead><tr><th>time (UTC)</th><th>node</th><th>event</th><th>result</th>
<th>details</th></tr></thead><tbody></tbody></table>
</div>
<script nonce="{{nonce}}">
"use strict";
(function () {
  const REFRESH_MS = 2000;
  let refreshes = 0;

  // The one way anything enters the document: as text.
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function bytes(b) {
    if (b < 1024) return b + " B";
    const units = ["kB", "MB", "GB", "TB"];
    let v = b, i = -1;
    do { v /= 1024; i++; } while (v >= 1024 && i < units.length - 1);
    return v.toFixed(1) + " " + units[i];
  }
  function lagText(lag) {
    const parts = [];
    if (lag.bytes !== null) parts.push(bytes(lag.bytes));
    if (lag.seconds !== null) parts.push(lag.seconds.toFixed(1) + " s");
    return parts.length ? "lag " + parts.join(", ") : "";
  }

  function card(n, primaryId) {
    const c = el("div", "card");
    if (n.node_id === primaryId) c.classList.add("current-primary");
    if (n.answers === false) c.classList.add("down");
    const head = el("div");
    head.append(el("span", "name", n.node_name), el("span", "dim", " #" + n.node_id));
    const role = el("span", "badge role " + n.role, n.role);
    head.append(role);
    const answers = n.answers === true ? ["yes", "answers"]
                  : n.answers === false ? ["no", "does not answer"] : ["unknown", "not seen"];
    head.append(el("span", "badge answers " + answers[0], answers[1]));
    if (!n.active) head.append(el("span", "badge inactive", "inactive"));
    if (n.seen_via) head.append(el("span", "via", " (" + n.seen_via + ")"));
    c.append(head);
    const repl = [lagText(n.lag), n.replication || ""].filter(Boolean).join(" \u00b7 ");
    if (repl) c.append(el("div", "lag", repl));
    const d = n.repmgrd;
    const line = el("div", "daemon");
    line.append(el("span", "dim", "repmgrd: "), el("span", "daemon-status", d.status));
    if (d.state) line.append(el("span", "dim", " \u00b7 "), el("span", "daemon-state", d.state));
    if (d.paused) line.append(el("span", "badge", "paused"));
    if (d.reason) line.append(el("span", "dim", " \u2014 "), el("span", "reason", d.reason));
    c.append(line);
    for (const note of n.notes) c.append(el("div", "note", note));
    return c;
  }

  // Nodes by the upstream this node sees; the primary first. A node whose
  // upstream is unknown (or that sits in a loop of stale records) becomes a
  // root of its own rather than vanishing.
  function drawTree(nodes, primaryId) {
    const byId = new Map(nodes.map(n => [n.node_id, n]));
    const children = new Map();
    const roots = [], witnesses = [];
    for (const n of nodes) {
      const up = n.tree_upstream_node_id;
      if (n.role === "witness") witnesses.push(n);
      else if (up !== null && up !== n.node_id && byId.has(up)) {
        if (!children.has(up)) children.set(up, []);
        children.get(up).push(n);
      } else roots.push(n);
    }
    roots.sort((a, b) => (b.node_id === primaryId) - (a.node_id === primaryId) || a.node_id - b.node_id);
    const drawn = new Set();
    function item(n) {
      drawn.add(n.node_id);
      const li = el("li", "node");
      li.dataset.nodeId = String(n.node_id);
      li.dataset.role = n.role;
      li.append(card(n, primaryId));
      const kids = (children.get(n.node_id) || []).filter(k => !drawn.has(k.node_id));
      if (kids.length) {
        const ul = el("ul");
        for (const k of kids) ul.append(item(k));
        li.append(ul);
      }
      return li;
    }
    const tree = [];
    for (const r of roots) tree.push(item(r));
    for (const n of nodes)
      if (n.role !== "witness" && !drawn.has(n.node_id)) tree.push(item(n));
    document.getElementById("tree").replaceChildren(...tree);
    document.getElementById("witnesses").replaceChildren(...witnesses.map(item));
  }

  function drawEvents(events) {
    const rows = events.map(e => {
      const tr = el("tr", "event");
      tr.append(el("td", "", e.time), el("td", "", e.node_name ? e.node_name + " #" + e.node_id : "#" + e.node_id),
                el("td", "", e.event), el("td", e.successful ? "" : "failed", e.successful ? "ok" : "failed"),
                el("td", "", e.details));
      return tr;
    });
    document.querySelector("#events tbody").replaceChildren(...rows);
  }

  function render(data) {
    const primary = data.primary;
    const primaryId = primary ? primary.node_id : null;
    document.getElementById("observer").textContent = "as node " + data.observer.node_id + " (" +
      data.observer.node_name + ") sees it \u00b7 repmgrd " + data.observer.state;
    const p = document.getElementById("primary");
    p.textContent = primary ? (primary.node_name || "#" + primary.node_id) : "none";
    p.dataset.nodeId = primary ? String(primary.node_id) : "";
    drawTree(data.nodes, primaryId);
    drawEvents(data.events);
    return data.error ? "repmgrd could not read events and reports: " + data.error : "";
  }

  async function refresh() {
    let problem = "";
    try {
      const r = await fetch("status/cluster", {cache: "no-store"});
      if (!r.ok) throw new Error("HTTP " + r.status + ": " + (await r.text()).trim());
      problem = render(await r.json());
      refreshes++;
      document.getElementById("refreshes").textContent = String(refreshes);
      document.getElementById("refreshed").textContent = new Date().toLocaleTimeString();
      document.body.classList.remove("stale");
    } catch (e) {
      problem = "repmgrd does not answer: " + e.message;
      document.body.classList.add("stale");
    }
    document.getElementById("problem").textContent = problem;
    document.body.dataset.refreshes = String(refreshes);
    setTimeout(refresh, REFRESH_MS);
  }
  refresh();
})();
</script>
</body>
</html>
)page";

// 128 bits from OpenSSL's CSPRNG, base64: a nonce the page's own script and
// style carry and no injected markup could guess.
std::string random_nonce() {
    std::array<unsigned char, 16> raw{};
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
        return {};  // no nonce: the CSP below then allows no inline code at all
    static constexpr char kDigits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < raw.size(); i += 3) {
        unsigned v = raw[i] << 16;
        if (i + 1 < raw.size()) v |= raw[i + 1] << 8;
        if (i + 2 < raw.size()) v |= raw[i + 2];
        out += kDigits[(v >> 18) & 63];
        out += kDigits[(v >> 12) & 63];
        out += i + 1 < raw.size() ? kDigits[(v >> 6) & 63] : '=';
        out += i + 2 < raw.size() ? kDigits[v & 63] : '=';
    }
    return out;
}

}  // namespace

HttpAnswer answer_status_page(const std::string& nonce) {
    std::string body = kPage;
    const std::string mark = "{{nonce}}";
    for (auto at = body.find(mark); at != std::string::npos; at = body.find(mark, at + nonce.size()))
        body.replace(at, mark.size(), nonce);
    // Nothing from elsewhere: only this repmgrd's /status/cluster may be
    // fetched, and only the inline script and style that carry this
    // response's nonce run (the page is one document by design, so it
    // cannot use script-src 'self' with a separate file; a nonce rather than
    // 'unsafe-inline' keeps any markup a bug let in from running).
    std::string csp = "default-src 'none'; connect-src 'self'; base-uri 'none'; "
                      "form-action 'none'; frame-ancestors 'none'";
    if (!nonce.empty())
        csp += "; script-src 'nonce-" + nonce + "'; style-src 'nonce-" + nonce + "'";
    HttpAnswer a{200, "text/html; charset=utf-8", std::move(body), {}};
    a.headers = {{"Content-Security-Policy", csp},
                 {"X-Content-Type-Options", "nosniff"},
                 {"Referrer-Policy", "no-referrer"}};
    return a;
}

HttpAnswer answer_status_page() { return answer_status_page(random_nonce()); }

}  // namespace repmgr::repmgrd
