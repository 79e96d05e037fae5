// app.js — the Set Viewer page: connects to the bridge's WebSocket in patch
// mode, keeps a copy of the Set current with the patches it receives, and
// drives view.js. Loaded as a module from the bridge itself; it loads
// nothing from anywhere else.

import { applyPatch, PatchError } from "./patch.js";
import { Viewer } from "./view.js";

// Reconnecting as docs/protocol.md asks: 0.5 s, doubling up to 10 s, with
// some jitter so that many pages do not knock at once.
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10000;

/**
 * decodeFrame is the one place that knows the bridge's frame shapes
 * (docs/protocol.md, "WebSocket and HTTP"); everything else sees these
 * records. Returns null for frames the viewer does not use.
 */
export function decodeFrame(m) {
  switch (m && m.type) {
    case "snapshot":
      return { kind: "snapshot", session: m.session_id, seq: m.seq, state: m.state };
    case "event":
      // {"type":"event","seq":…,"ts":…,"path":…,"args":[…],"patch":[…]}:
      // the patch is what the bridge's mirror did with the event.
      return { kind: "event", session: m.session_id, seq: m.seq, patch: m.patch };
    case "status":
      return { kind: "status", status: m.status };
    case "hello":
      return { kind: "hello", hello: m };
    default:
      return null;
  }
}

const $ = (id) => document.getElementById(id);

/** Page is the live connection and everything on screen around the views. */
class Page {
  constructor() {
    this.viewer = new Viewer({ tree: $("tree"), grid: $("grid") });
    this.ws = null;
    this.session = null;
    this.seq = 0;
    this.retryMs = RETRY_MIN_MS;
    this.retryAt = 0;
    this.retryTimer = 0;
    this.status = null;
    this.link = "connecting"; // connecting | open | live | closed
    this.closeWhy = "";
    this.events = []; // arrival times of the last second's events (a ring would do; this stays small)
    this.evRate = 0;
    this.stats = { snapshots: 0, events: 0, patchErrors: 0, firstRenderMs: -1, frames: [] };
    this.viewer.onRender = (ms, keys) => this.rendered(ms, keys);
    this.view = localStorage.getItem("vimabl.view") === "grid" ? "grid" : "tree";
    this.focus = null; // the row (tree) or cell (grid) the keyboard is on
  }

  start() {
    this.showView(this.view);
    $("tab-tree").addEventListener("click", () => this.showView("tree"));
    $("tab-grid").addEventListener("click", () => this.showView("grid"));
    $("retry").addEventListener("click", () => this.connect());
    $("filter").addEventListener("input", (e) => this.viewer.setFilter(e.target.value));
    $("filter").addEventListener("keydown", (e) => this.filterKey(e));
    document.addEventListener("keydown", (e) => this.key(e));
    // "/" opens the filter when the key comes up: focusing it on keydown
    // would let the key's own character land in it.
    document.addEventListener("keyup", (e) => {
      if (e.key === "/" && document.activeElement !== $("filter")) {
        $("filter").focus();
        $("filter").select();
      }
    });
    $("tree").addEventListener("click", (e) => this.click(e));
    $("grid").addEventListener("click", (e) => this.click(e));
    setInterval(() => this.tick(), 1000);
    setInterval(() => document.body.classList.toggle("blink-off"), 500);
    this.connect();
  }

  // ---- connection ----

  connect() {
    clearTimeout(this.retryTimer);
    this.retryAt = 0;
    if (this.ws) {
      this.ws.onclose = this.ws.onmessage = this.ws.onerror = null;
      this.ws.close();
    }
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws?patch=1";
    this.link = "connecting";
    this.banner();
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (err) {
      this.closed(`cannot open ${url}: ${err.message}`);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.link = "open";
      this.banner();
      // The status frame comes only on a change; ask for the current one.
      fetch("/status", { cache: "no-store" })
        .then((r) => (r.ok ? r.json() : null))
        .then((st) => { if (st && ws === this.ws && !this.status) this.setStatus(st); })
        .catch(() => {});
    };
    ws.onmessage = (e) => this.message(e.data);
    ws.onclose = (e) => {
      if (ws !== this.ws) return;
      this.closed(e.reason ? `${e.reason} (${e.code})` : e.code === 1006 ? "the connection was lost" : `closed (${e.code})`);
    };
  }

  closed(why) {
    this.ws = null;
    this.link = "closed";
    this.closeWhy = why;
    this.status = null;
    const wait = Math.round(this.retryMs * (0.8 + 0.4 * Math.random()));
    this.retryAt = Date.now() + wait;
    this.retryTimer = setTimeout(() => this.connect(), wait);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.banner();
  }

  /** restart drops the copy and reconnects for a fresh snapshot. */
  restart(why) {
    this.stats.patchErrors++;
    console.warn("VimAbl viewer: starting again from a fresh snapshot:", why);
    if (this.ws) this.ws.close(4000, "viewer lost track of the Set");
    this.ws = null;
    this.retryMs = RETRY_MIN_MS;
    this.closed(`the page lost track of the Set (${why}); fetching it again`);
  }

  message(data) {
    const t0 = performance.now();
    let f;
    try {
      f = decodeFrame(JSON.parse(data));
    } catch (err) {
      return this.restart(`unreadable frame: ${err.message}`);
    }
    if (!f) return;
    switch (f.kind) {
      case "snapshot": {
        this.session = f.session;
        this.seq = f.seq;
        this.link = "live";
        this.retryMs = RETRY_MIN_MS;
        this.stats.snapshots++;
        this.viewer.setState(f.state && typeof f.state === "object" ? f.state : {});
        this.header();
        this.banner();
        const first = this.stats.firstRenderMs < 0;
        // A snapshot is rendered when the frame after this task is painted.
        requestAnimationFrame(() => setTimeout(() => {
          const ms = performance.now() - t0;
          if (first) this.stats.firstRenderMs = ms;
          this.stats.lastSnapshotMs = ms;
          performance.mark("vimabl-snapshot-rendered");
        }, 0));
        break;
      }
      case "event": {
        if (this.link !== "live") return; // nothing to apply it to yet
        // The bridge sends only events on top of our snapshot (its fence);
        // this check is for a bridge that would not.
        if ((f.session === undefined || f.session === this.session) && f.seq > 0 && f.seq <= this.seq) return;
        this.count();
        if (!Array.isArray(f.patch)) {
          return; // an event that changes nothing in the Set (a log line, a heartbeat)
        }
        try {
          this.viewer.state = applyPatch(this.viewer.state, f.patch, (c) => this.viewer.note(c));
        } catch (err) {
          if (err instanceof PatchError) return this.restart(err.message);
          throw err;
        }
        if (f.seq > 0) this.seq = f.seq;
        break;
      }
      case "status":
        this.setStatus(f.status);
        break;
    }
  }

  count() {
    this.stats.events++;
    this.events.push(performance.now());
  }

  tick() {
    const now = performance.now();
    let i = 0;
    while (i < this.events.length && now - this.events[i] > 1000) i++;
    if (i) this.events.splice(0, i);
    this.evRate = this.events.length;
    this.header();
    if (this.link === "closed") this.banner();
  }

  setStatus(st) {
    this.status = st && typeof st === "object" ? st : null;
    this.banner();
    this.header();
  }

  rendered(ms, keys) {
    const fr = this.stats.frames;
    fr.push(ms);
    if (fr.length > 600) fr.splice(0, fr.length - 600);
    if (keys.has("transport") || keys.has("project_path") || keys.has("view")) this.header();
  }

  // ---- header and banner ----

  header() {
    const s = this.viewer.state || {};
    const tr = s.transport && typeof s.transport === "object" ? s.transport : {};
    setText($("tempo"), typeof tr.tempo === "number" ? tr.tempo.toFixed(2) + " BPM" : "– BPM");
    setText($("playing"), tr.playing ? "▶ Playing" : "■ Stopped");
    $("playing").classList.toggle("on", !!tr.playing);
    const path = typeof s.project_path === "string" ? s.project_path : "";
    // A snapshot of session "" is the bridge's empty one: no Set known yet.
    const name = path ? path.split(/[\\/]/).pop().replace(/\.als$/i, "") : this.link === "live" && this.session ? "Unsaved Set" : "";
    setText($("project"), name);
    $("project").title = path;
    document.title = name ? `${name} — VimAbl Set Viewer` : "VimAbl Set Viewer";
    setText($("rate"), `${this.evRate} events/s`);
    const st = this.status && this.status.state;
    const conn = $("conn");
    let text = "Bridge: connecting";
    let cls = "warn";
    if (this.link === "closed") {
      text = "Bridge: not reachable";
      cls = "bad";
    } else if (this.link === "live" || this.link === "open") {
      if (!st) text = "Bridge connected";
      else if (st === "streaming") {
        text = "Live connected";
        cls = "ok";
      } else if (st === "degraded" || st === "two-scripts") text = "Live connected (" + st + ")";
      else {
        text = "Live not connected";
        cls = "bad";
      }
    }
    setText(conn, text);
    conn.className = "pill " + cls;
    conn.title = this.status && this.status.summary ? this.status.summary : "";
  }

  /** banner says what is wrong with the connection, if anything. */
  banner() {
    const b = $("banner");
    let msg = "";
    let kind = "warn";
    let retry = false;
    if (this.link === "closed") {
      const secs = Math.max(0, Math.ceil((this.retryAt - Date.now()) / 1000));
      msg = `The VimAbl bridge is gone: ${this.closeWhy}. Reconnecting in ${secs} s…`;
      kind = "bad";
      retry = true;
    } else if (this.link === "connecting") {
      msg = this.session ? "Reconnecting to the VimAbl bridge…" : "Connecting to the VimAbl bridge…";
    } else if (this.link === "open") {
      msg = "Connected; waiting for the Set from Live…";
    } else if (this.status && this.status.state && !["streaming", "degraded", "two-scripts"].includes(this.status.state)) {
      msg = `Live is not connected: ${this.status.summary || this.status.state}.` + (this.status.fix ? ` ${this.status.fix}` : "");
    }
    setText($("banner-text"), msg);
    $("retry").hidden = !retry;
    b.hidden = !msg;
    b.className = "banner " + kind;
    this.header();
  }

  // ---- views and keys ----

  showView(v) {
    this.view = v;
    localStorage.setItem("vimabl.view", v);
    $("tree").hidden = v !== "tree";
    $("grid").hidden = v !== "grid";
    $("tab-tree").classList.toggle("active", v === "tree");
    $("tab-grid").classList.toggle("active", v === "grid");
    $("tab-tree").setAttribute("aria-selected", String(v === "tree"));
    $("tab-grid").setAttribute("aria-selected", String(v === "grid"));
  }

  click(e) {
    const row = e.target.closest(".row, .cell");
    if (!row) return;
    this.setFocus(row);
    if (row._node && e.target.closest(".twisty")) this.viewer.toggle(row._node);
  }

  filterKey(e) {
    if (e.key === "Escape") {
      e.target.value = "";
      this.viewer.setFilter("");
      e.target.blur();
    } else if (e.key === "Enter") {
      e.target.blur();
      const first = this.rows()[0];
      if (first) this.setFocus(first);
    }
    e.stopPropagation();
  }

  /** rows lists what j/k move through, in screen order. */
  rows() {
    if (this.view === "tree") {
      return Array.from($("tree").querySelectorAll(".row")).filter((r) => !r.parentElement._ghost && r.offsetParent !== null);
    }
    return [];
  }

  setFocus(e) {
    if (this.focus) this.focus.classList.remove("focus");
    this.focus = e;
    if (!e) return;
    e.classList.add("focus");
    e.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  key(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    if (this.zPending) {
      // Vim's folds: zR opens all, zM closes all, za toggles the one here.
      this.zPending = false;
      if (k === "R" || k === "M") return this.viewer.foldAll(k === "R");
      if (k === "a" && this.focus && this.focus._node) return this.viewer.toggle(this.focus._node);
    }
    if (k === "z") {
      this.zPending = true;
      return;
    }
    if (k === "/") {
      e.preventDefault(); // the keyup handler opens the filter
      return;
    }
    if (k === "1" || k === "2") return this.showView(k === "1" ? "tree" : "grid");
    if (k === "r" && this.link === "closed") return this.connect();
    if (this.view === "tree") this.treeKey(e);
    else this.gridKey(e);
  }

  treeKey(e) {
    const rows = this.rows();
    if (!rows.length) return;
    let i = rows.indexOf(this.focus);
    const node = this.focus && this.focus._node;
    switch (e.key) {
      case "j":
      case "ArrowDown":
        i = i < 0 ? 0 : Math.min(rows.length - 1, i + 1);
        break;
      case "k":
      case "ArrowUp":
        i = i < 0 ? 0 : Math.max(0, i - 1);
        break;
      case "l":
      case "ArrowRight":
        if (node && node.kids && !node.open) this.viewer.toggle(node, true);
        else if (node && node.open) i = Math.min(rows.length - 1, i + 1);
        break;
      case "h":
      case "ArrowLeft":
        if (node && node.open) this.viewer.toggle(node, false);
        else if (this.focus) {
          // To the parent node's row.
          const parent = this.focus.parentElement.parentElement.closest("li.node");
          if (parent) i = rows.indexOf(parent.firstElementChild);
        }
        break;
      case "Enter":
      case " ":
        if (node && node.kids) this.viewer.toggle(node);
        break;
      case "g":
        i = 0;
        break;
      case "G":
        i = rows.length - 1;
        break;
      default:
        return;
    }
    e.preventDefault();
    const now = this.rows();
    this.setFocus(now[Math.max(0, Math.min(i, now.length - 1))] || null);
  }

  gridKey(e) {
    const body = this.viewer.tbody;
    if (!body) return;
    const trs = Array.from(body.children).filter((r) => !r.classList.contains("hidden"));
    if (!trs.length) return;
    const isCell = (x) => x.classList.contains("cell") && !x.classList.contains("hidden");
    let r = this.focus && this.focus.classList.contains("cell") ? trs.indexOf(this.focus.parentElement) : -1;
    let c = r >= 0 ? Array.from(trs[r].children).indexOf(this.focus) : -1;
    if (r < 0) {
      r = 0;
      c = 0;
    }
    const cells = (tr) => Array.from(tr.children).filter(isCell);
    let col = r >= 0 && c >= 0 ? cells(trs[r]).indexOf(trs[r].children[c]) : 0;
    if (col < 0) col = 0;
    switch (e.key) {
      case "j":
      case "ArrowDown":
        r = Math.min(trs.length - 1, r + (this.focus ? 1 : 0));
        break;
      case "k":
      case "ArrowUp":
        r = Math.max(0, r - 1);
        break;
      case "l":
      case "ArrowRight":
        col += this.focus ? 1 : 0;
        break;
      case "h":
      case "ArrowLeft":
        col = Math.max(0, col - 1);
        break;
      case "g":
        r = 0;
        break;
      case "G":
        r = trs.length - 1;
        break;
      default:
        return;
    }
    e.preventDefault();
    const row = cells(trs[r]);
    if (row.length) this.setFocus(row[Math.min(col, row.length - 1)]);
  }
}

/** setText changes an element's text in place: the text node's data, not
 * a new node each time (a thousand changes a second would otherwise make
 * a thousand nodes for the collector, and Chromium was seen to keep some). */
function setText(e, s) {
  const t = e.firstChild;
  if (t && t.nodeType === Node.TEXT_NODE && !t.nextSibling) {
    if (t.data !== s) t.data = s;
  } else if (e.textContent !== s) {
    e.textContent = s;
  }
}

const page = new Page();
// For tests, the benchmark and curious users: read-only looks at the page.
window.vimablViewer = { page, get state() { return page.viewer.state; }, stats: page.stats };
page.start();
