// view.js — renders the Set (docs/protocol.md, "The state model") as a tree
// and as a Session grid, and keeps both current from the changes patch.js
// reports.
//
// Every element is bound to the state object it shows (WeakMaps keyed by
// the object), so a patch that adds, removes or moves an object moves its
// element instead of rebuilding a list, and an element lives exactly as
// long as its object: ten minutes of edits leave no garbage behind.
// Work is batched per animation frame: patches only record what changed.

const ADDED_MS = 4000; // how long an added row keeps its green mark
const REMOVED_MS = 1500; // how long a removed row stays, struck out in red
const MAX_FLASHES = 400; // flashes per frame; a burst beyond that just updates

/** el creates an element with a class and text (never HTML: no markup from data). */
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
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

/** setStyle writes one inline style property only when it changes: a
 * write, even of the same value, makes the browser recompute the style. */
function setStyle(e, prop, v) {
  const k = "_s_" + prop;
  if (e[k] !== v) {
    e[k] = v;
    e.style[prop] = v;
  }
}

/** hex turns Live's 0xRRGGBB integer into a CSS colour. */
export function hex(c) {
  return "#" + ((Number(c) >>> 0) & 0xffffff).toString(16).padStart(6, "0");
}

/** ink picks black or white text for a background colour. */
function ink(c) {
  const n = (Number(c) >>> 0) & 0xffffff;
  const l = 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
  return l > 150 ? "#111" : "#fff";
}

function num(v, digits = 2) {
  return typeof v === "number" && isFinite(v) ? v.toFixed(digits) : "–";
}

/** flash restarts a CSS flash animation by alternating two identical
 * animations (a new animation-name restarts it without forcing layout). */
function flash(e, kind, now) {
  // A flash restarted within a quarter of its run shows nothing new; at a
  // thousand changes a second, skipping it spares the style work.
  if (e._fl && e._flKind === kind && now - e._flAt < 250) return;
  e._flAt = now;
  e._flKind = kind;
  const a = `fl-${kind}-a`;
  const next = e._fl === a ? `fl-${kind}-b` : a;
  if (e._fl) e.classList.remove(e._fl);
  e.classList.add(next);
  e._fl = next;
}

/** reconcile makes parent's children the elements els, in order, moving
 * rather than recreating; elements no longer wanted are removed, or with
 * ghosts kept struck out for a moment where they were. */
function reconcile(parent, els, ghosts) {
  const want = new Set(els);
  for (let c = parent.firstChild; c; ) {
    const n = c.nextSibling;
    if (!c._ghost && !want.has(c)) {
      if (ghosts) ghost(c);
      else c.remove();
    }
    c = n;
  }
  let cur = parent.firstChild;
  for (const e of els) {
    while (cur && cur._ghost) cur = cur.nextSibling;
    if (cur === e) {
      cur = cur.nextSibling;
      continue;
    }
    parent.insertBefore(e, cur);
  }
}

function ghost(e) {
  e._ghost = true;
  e.classList.add("is-removed");
  e.removeAttribute("data-kind"); // no longer counted as part of the Set
  setTimeout(() => e.remove(), REMOVED_MS);
}

function markAdded(e) {
  e.classList.add("is-added");
  setTimeout(() => e.classList.remove("is-added"), ADDED_MS);
}

function isRegular(t) {
  return t && t.type !== "return" && t.type !== "master";
}

/** Viewer owns the tree and grid DOM of one Set. */
export class Viewer {
  /**
   * @param {{tree: HTMLElement, grid: HTMLElement}} roots
   */
  constructor(roots) {
    this.roots = roots;
    this.state = null;
    this.filter = "";
    this.expanded = new Set(); // "t3", "t3d1": kept across snapshots by position
    this.onRender = null; // (ms) => void, for the page's frame-time figures
    this.reset();
    this.frame = 0;
    this.scheduled = false;
    this.cursorEls = [];
  }

  reset() {
    this.treeTrack = new WeakMap();
    this.treeDevice = new WeakMap();
    this.treeParam = new WeakMap();
    this.treeSlot = new WeakMap();
    this.treeScene = new WeakMap();
    this.gridHead = new WeakMap();
    this.gridRow = new WeakMap();
    this.gridCell = new WeakMap();
    this.frameReset();
    this.rootDirty = false;
  }

  /** frameReset forgets one frame's changes once they are rendered. */
  frameReset() {
    this.changed = new Map(); // object → keys of members changed at or below it
    this.direct = new Map(); // object → keys of members set, added or removed on it
    this.structs = new Set(); // arrays whose members were added, removed or replaced
    this.notes = []; // this frame's changes, for flashing
    this.fresh = new Map(); // object → "add" | "mod": inserted this frame
    this.removed = new Set(); // removed this frame (a move re-adds them)
  }

  /** setState renders a snapshot from scratch (no change marks). */
  setState(state) {
    this.reset();
    this.state = state;
    this.build();
  }

  /** note records one applied patch operation (patch.js's Change). */
  note(c) {
    if (c.chain.length === 0) {
      this.rootDirty = true; // the whole document was replaced
      this.schedule();
      return;
    }
    for (let i = 0; i < c.keys.length; i++) this.mark(this.changed, c.chain[i], c.keys[i]);
    this.mark(this.changed, c.parent, c.key);
    this.mark(this.direct, c.parent, c.key);
    if (Array.isArray(c.parent)) this.structs.add(c.parent);
    if (c.kind === "remove" && c.old !== null && typeof c.old === "object") this.removed.add(c.old);
    if ((c.kind === "add" || c.kind === "replace") && c.value !== null && typeof c.value === "object") {
      if (!this.removed.has(c.value)) this.fresh.set(c.value, c.kind === "add" ? "add" : "mod");
    }
    if (this.notes.length < MAX_FLASHES) this.notes.push(c);
    this.schedule();
  }

  mark(m, obj, key) {
    let s = m.get(obj);
    if (!s) m.set(obj, (s = new Set()));
    s.add(key);
  }

  /** born marks a new element: green if its object was added this frame,
   * yellow if it replaced another. */
  born(box, obj) {
    const f = this.fresh.get(obj);
    if (f === "add") markAdded(box);
    else if (f === "mod") flash(box, "mod", performance.now());
  }

  /** reshaped: the members of arr, or the member key of owner, were
   * added, removed or replaced this frame. */
  reshaped(owner, key) {
    const d = owner && this.direct.get(owner);
    return (d && d.has(key)) || (owner && this.structs.has(owner[key]));
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => this.render());
  }

  // ---- building ----

  build() {
    const { tree, grid } = this.roots;
    tree.replaceChildren();
    grid.replaceChildren();
    this.lists = {
      tracks: el("ul", "list"),
      returns: el("ul", "list"),
      master: el("ul", "list"),
      scenes: el("ul", "list"),
    };
    for (const [key, title] of [["tracks", "Tracks"], ["returns", "Returns"], ["master", "Master"], ["scenes", "Scenes"]]) {
      const sec = el("section", "group");
      sec.dataset.group = key;
      sec.append(el("h2", "", title), this.lists[key]);
      tree.append(sec);
    }
    // Rows of fixed-size cells rather than a <table>: each row is its own
    // paint layer (contain: strict), so a clip that changes repaints its
    // row, not the whole grid.
    this.table = el("div", "grid");
    this.thead = el("div", "grid-row heads");
    this.corner = el("div", "corner", "");
    this.tbody = el("div", "grid-body");
    this.table.append(this.thead, this.tbody);
    grid.append(this.table);
    this.cursorEls = [];
    this.lastCursor = null;
    // What was open before a reconnect opens again, by position; a track
    // added later at a position that was open stays closed.
    this.restoring = true;
    this.structure();
    this.restoring = false;
    this.applyFilter();
    this.cursor(true);
  }

  /** structure puts every list in the order of the state. */
  structure() {
    const s = this.state;
    const tracks = Array.isArray(s.tracks) ? s.tracks : [];
    const scenes = Array.isArray(s.scenes) ? s.scenes : [];
    const by = { tracks: [], returns: [], master: [] };
    for (const t of tracks) {
      if (!t || typeof t !== "object") continue;
      const n = this.trackNode(t);
      by[t.type === "master" ? "master" : t.type === "return" ? "returns" : "tracks"].push(n.li);
    }
    for (const k of Object.keys(by)) reconcile(this.lists[k], by[k], true);
    reconcile(this.lists.scenes, scenes.map((sc) => this.sceneNode(sc).li), true);
    for (const t of tracks) {
      const n = this.treeTrack.get(t);
      if (n && n.open) this.trackChildren(n);
    }
    // The grid: tracks with clip slots across, scenes down, like Live's Session view.
    const cols = tracks.filter(isRegular);
    reconcile(this.thead, [this.corner, ...cols.map((t) => this.headCell(t).th)], false);
    // Rows are size-contained: they need the grid's width, the scene
    // column then one column per track (96 px and a 2 px gap each).
    setStyle(this.table, "width", 142 + cols.length * 98 + "px");
    reconcile(this.tbody, scenes.map((sc, r) => {
      const row = this.gridRowFor(sc);
      const cells = cols.map((t) => {
        const slot = Array.isArray(t.clip_slots) ? t.clip_slots[r] : undefined;
        return slot && typeof slot === "object" ? this.cell(slot).td : el("div", "cell missing");
      });
      reconcile(row.tr, [row.th, ...cells], false);
      return row.tr;
    }), false);
  }

  // ---- tree nodes ----

  trackNode(t) {
    let n = this.treeTrack.get(t);
    if (n) return n;
    const li = el("li", "node track");
    li.dataset.kind = "track";
    const row = el("div", "row");
    const twisty = el("span", "twisty", "▸");
    const swatch = el("span", "swatch");
    const name = el("span", "name");
    const type = el("span", "type");
    const mute = el("span", "badge mute", "M");
    const solo = el("span", "badge solo", "S");
    const arm = el("span", "badge arm", "●");
    const meter = el("span", "meter");
    const fill = el("span", "fill");
    meter.append(fill);
    const vol = el("span", "num vol");
    mute.title = "mute";
    solo.title = "solo";
    arm.title = "arm";
    row.append(twisty, swatch, name, type, mute, solo, arm, meter, vol);
    const kids = el("ul", "children");
    li.append(row);
    n = { obj: t, li, row, twisty, swatch, name, type, mute, solo, arm, fill, vol, kids, open: false, kind: "track" };
    n.attr = { name, type, mute, solo, arm, volume: vol, color: swatch };
    row._node = n;
    this.treeTrack.set(t, n);
    this.updateTrack(n);
    if (this.restoring && this.expanded.has(this.pathOf(n))) this.toggle(n, true);
    this.born(row, t);
    return n;
  }

  updateTrack(n) {
    const t = n.obj;
    setText(n.name, String(t.name ?? ""));
    setText(n.type, String(t.type ?? ""));
    setStyle(n.swatch, "backgroundColor", hex(t.color));
    n.mute.classList.toggle("on", !!t.mute);
    n.solo.classList.toggle("on", !!t.solo);
    n.arm.classList.toggle("on", !!t.arm);
    n.li.classList.toggle("folded", !!t.folded);
    const v = typeof t.volume === "number" ? Math.max(0, Math.min(1, t.volume)) : 0;
    setStyle(n.fill, "width", (v * 100).toFixed(1) + "%");
    setText(n.vol, num(t.volume));
    const devs = Array.isArray(t.devices) ? t.devices.length : 0;
    n.twisty.classList.toggle("leaf", devs === 0 && !(Array.isArray(t.clip_slots) && t.clip_slots.length));
  }

  trackChildren(n) {
    const t = n.obj;
    const kids = [];
    if (Array.isArray(t.devices)) for (const d of t.devices) if (d && typeof d === "object") kids.push(this.deviceNode(d, n).li);
    if (Array.isArray(t.clip_slots)) t.clip_slots.forEach((s, i) => {
      if (s && typeof s === "object") kids.push(this.slotNode(s, i).li);
    });
    reconcile(n.kids, kids, true);
  }

  deviceNode(d, parent) {
    let n = this.treeDevice.get(d);
    if (n) return n;
    const li = el("li", "node device");
    li.dataset.kind = "device";
    const row = el("div", "row");
    const twisty = el("span", "twisty", "▸");
    const name = el("span", "name");
    const cls = el("span", "type");
    row.append(twisty, el("span", "icon", "◆"), name, cls);
    li.append(row);
    n = { obj: d, li, row, twisty, name, cls, kids: el("ul", "children"), open: false, kind: "device", parent };
    n.attr = { name, class_name: cls };
    row._node = n;
    this.treeDevice.set(d, n);
    this.updateDevice(n);
    if (this.restoring && this.expanded.has(this.pathOf(n))) this.toggle(n, true);
    this.born(row, d);
    return n;
  }

  updateDevice(n) {
    setText(n.name, String(n.obj.name ?? ""));
    setText(n.cls, String(n.obj.class_name ?? ""));
    n.twisty.classList.toggle("leaf", !(Array.isArray(n.obj.parameters) && n.obj.parameters.length));
  }

  deviceChildren(n) {
    const ps = Array.isArray(n.obj.parameters) ? n.obj.parameters : [];
    reconcile(n.kids, ps.filter((p) => p && typeof p === "object").map((p) => this.paramNode(p).li), true);
  }

  paramNode(p) {
    let n = this.treeParam.get(p);
    if (n) return n;
    const li = el("li", "node param");
    li.dataset.kind = "param";
    const row = el("div", "row");
    const name = el("span", "name");
    const meter = el("span", "meter");
    const fill = el("span", "fill");
    meter.append(fill);
    const value = el("span", "num");
    const range = el("span", "range");
    row.append(el("span", "twisty leaf", ""), name, meter, value, range);
    li.append(row);
    n = { obj: p, li, row, name, fill, value, range, kind: "param" };
    n.attr = { name, value, min: range, max: range };
    row._node = n;
    this.treeParam.set(p, n);
    this.updateParam(n);
    return n;
  }

  updateParam(n) {
    const p = n.obj;
    setText(n.name, String(p.name ?? ""));
    setText(n.value, num(p.value, 3));
    setText(n.range, `${num(p.min)} … ${num(p.max)}`);
    const span = p.max - p.min;
    const f = span > 0 ? Math.max(0, Math.min(1, (p.value - p.min) / span)) : 0;
    setStyle(n.fill, "width", (f * 100).toFixed(1) + "%");
  }

  slotNode(s, i) {
    let n = this.treeSlot.get(s);
    if (!n) {
      const li = el("li", "node slot");
      li.dataset.kind = "slot";
      const row = el("div", "row");
      const idx = el("span", "idx");
      const swatch = el("span", "swatch");
      const state = el("span", "play");
      const name = el("span", "name");
      row.append(el("span", "twisty leaf", ""), idx, swatch, state, name);
      li.append(row);
      n = { obj: s, li, row, idx, swatch, state, name, kind: "slot" };
      n.attr = { playing_status: state, color: swatch, has_clip: name, clip: name };
      row._node = n;
      this.treeSlot.set(s, n);
      this.born(row, s);
    }
    n.index = i;
    this.updateSlot(n);
    return n;
  }

  updateSlot(n) {
    const s = n.obj;
    const c = s.clip && typeof s.clip === "object" ? s.clip : null;
    setText(n.idx, String(n.index + 1));
    setText(n.name, c ? String(c.name ?? "") : "—");
    n.row.classList.toggle("empty", !c);
    n.row.classList.toggle("muted", !!(c && c.muted));
    setStyle(n.swatch, "backgroundColor", c ? hex(c.color) : "transparent");
    setText(n.state, playGlyph(s.playing_status));
    n.row.dataset.play = String(s.playing_status ?? 0);
  }

  sceneNode(sc) {
    let n = this.treeScene.get(sc);
    if (n) return n;
    const li = el("li", "node scene");
    li.dataset.kind = "scene";
    const row = el("div", "row");
    const swatch = el("span", "swatch");
    const name = el("span", "name");
    const trig = el("span", "play");
    row.append(el("span", "twisty leaf", ""), swatch, name, trig);
    li.append(row);
    n = { obj: sc, li, row, swatch, name, trig, kind: "scene" };
    n.attr = { name, color: swatch, is_triggered: trig };
    row._node = n;
    this.treeScene.set(sc, n);
    this.updateScene(n);
    this.born(row, sc);
    return n;
  }

  updateScene(n) {
    const sc = n.obj;
    setText(n.name, String(sc.name ?? ""));
    setStyle(n.swatch, "backgroundColor", sc.color ? hex(sc.color) : "transparent");
    setText(n.trig, sc.is_triggered ? "▷" : "");
    n.row.classList.toggle("triggered", !!sc.is_triggered);
  }

  /** toggle opens or closes a track or device (its children exist only while open). */
  toggle(n, open = !n.open) {
    if (!n.kids || n.open === open) return;
    n.open = open;
    n.li.classList.toggle("open", open);
    const path = this.pathOf(n);
    if (open) {
      if (path) this.expanded.add(path);
      if (n.kind === "track") this.trackChildren(n);
      else this.deviceChildren(n);
      n.li.append(n.kids);
    } else {
      if (path) this.expanded.delete(path);
      n.kids.remove();
    }
  }

  /** foldAll opens (or closes) every track and device, as Vim's zR (zM). */
  foldAll(open) {
    for (const t of Array.isArray(this.state && this.state.tracks) ? this.state.tracks : []) {
      const n = t && typeof t === "object" ? this.treeTrack.get(t) : undefined;
      if (!n) continue;
      if (open) {
        this.toggle(n, true);
        for (const d of Array.isArray(t.devices) ? t.devices : []) {
          const dn = d && typeof d === "object" ? this.treeDevice.get(d) : undefined;
          if (dn) this.toggle(dn, true);
        }
      } else {
        this.toggle(n, false);
      }
    }
  }

  /** pathOf names a node by position ("t3", "t3d1") so a snapshot after a
   * reconnect opens what was open. */
  pathOf(n) {
    if (!this.state || !Array.isArray(this.state.tracks)) return "";
    if (n.kind === "track") return "t" + this.state.tracks.indexOf(n.obj);
    if (n.kind === "device" && n.parent) {
      const ds = n.parent.obj.devices;
      return "t" + this.state.tracks.indexOf(n.parent.obj) + "d" + (Array.isArray(ds) ? ds.indexOf(n.obj) : -1);
    }
    return "";
  }

  // ---- grid ----

  headCell(t) {
    let n = this.gridHead.get(t);
    if (n) return n;
    const th = el("div", "col");
    const bar = el("div", "bar");
    const name = el("div", "name");
    const badges = el("div", "badges");
    const mute = el("span", "badge mute", "M");
    const solo = el("span", "badge solo", "S");
    const arm = el("span", "badge arm", "●");
    badges.append(mute, solo, arm);
    th.append(bar, name, badges);
    n = { obj: t, th, bar, name, mute, solo, arm, kind: "head" };
    n.attr = { name, mute, solo, arm, color: bar };
    this.gridHead.set(t, n);
    this.updateHead(n);
    this.born(th, t);
    return n;
  }

  updateHead(n) {
    const t = n.obj;
    setText(n.name, String(t.name ?? ""));
    n.th.title = `${t.name ?? ""} (${t.type ?? ""})`;
    setStyle(n.bar, "backgroundColor", hex(t.color));
    n.mute.classList.toggle("on", !!t.mute);
    n.solo.classList.toggle("on", !!t.solo);
    n.arm.classList.toggle("on", !!t.arm);
  }

  gridRowFor(sc) {
    let n = this.gridRow.get(sc);
    if (n) return n;
    const tr = el("div", "grid-row");
    const th = el("div", "scene");
    const name = el("span", "name");
    const trig = el("span", "play");
    th.append(trig, name);
    tr.append(th);
    n = { obj: sc, tr, th, name, trig, kind: "row" };
    n.attr = { name, is_triggered: trig, color: th };
    this.gridRow.set(sc, n);
    this.updateRow(n);
    this.born(th, sc);
    return n;
  }

  updateRow(n) {
    const sc = n.obj;
    setText(n.name, String(sc.name ?? ""));
    setText(n.trig, "▷");
    n.th.classList.toggle("triggered", !!sc.is_triggered);
    setStyle(n.th, "borderLeftColor", sc.color ? hex(sc.color) : "transparent");
  }

  cell(s) {
    let n = this.gridCell.get(s);
    if (n) return n;
    const td = el("div", "cell");
    const state = el("span", "play");
    const name = el("span", "name");
    td.append(state, name);
    n = { obj: s, td, state, name, kind: "cell" };
    n.attr = { playing_status: state, clip: name, has_clip: name, color: td };
    this.gridCell.set(s, n);
    this.updateCell(n);
    this.born(td, s);
    return n;
  }

  updateCell(n) {
    const s = n.obj;
    const c = s.clip && typeof s.clip === "object" ? s.clip : null;
    setText(n.name, c ? String(c.name ?? "") : "");
    n.td.classList.toggle("empty", !c);
    n.td.classList.toggle("nostop", !c && s.has_stop_button === false);
    n.td.classList.toggle("muted", !!(c && c.muted));
    n.td.dataset.play = String(s.playing_status ?? 0);
    setStyle(n.td, "backgroundColor", c ? hex(c.color) : "");
    setStyle(n.td, "color", c ? ink(c.color) : "");
    setText(n.state, c ? playGlyph(s.playing_status) : s.has_stop_button === false ? "" : "■");
    n.td.title = c ? String(c.name ?? "") : "";
  }

  // ---- per-frame rendering ----

  /** render applies this frame's recorded changes to the DOM. */
  render() {
    this.scheduled = false;
    if (!this.state) return;
    const t0 = performance.now();
    if (this.rootDirty) {
      this.rootDirty = false;
      this.setState(this.state);
      return;
    }
    const s = this.state;
    const changed = this.changed;
    const rootKeys = changed.get(s) || new Set();
    // Structure first, so that new objects have elements before flashing.
    let structural = this.reshaped(s, "tracks") || this.reshaped(s, "scenes");
    if (!structural && rootKeys.has("tracks") && Array.isArray(s.tracks)) {
      // A track changed type, or a clip slot list changed shape (a new
      // scene's row arrives slot by slot).
      for (const t of s.tracks) {
        if (t && (this.reshaped(t, "clip_slots") || (this.direct.get(t) || new Set()).has("type"))) {
          structural = true;
          break;
        }
      }
    }
    if (structural) this.structure();
    for (const [obj, keys] of changed) this.update(obj, keys);
    this.flashNotes(this.notes);
    const moved = rootKeys.has("cursor");
    this.frameReset();
    if (this.filter && (structural || changed.size)) this.applyFilter();
    if (moved || structural) this.cursor(moved);
    this.frame++;
    if (this.onRender) this.onRender(performance.now() - t0, rootKeys);
  }

  /** update refreshes every element bound to obj. */
  update(obj, keys) {
    let n;
    if ((n = this.treeTrack.get(obj))) {
      this.updateTrack(n);
      if (n.open && (this.reshaped(obj, "devices") || this.reshaped(obj, "clip_slots"))) this.trackChildren(n);
    }
    if ((n = this.gridHead.get(obj))) this.updateHead(n);
    if ((n = this.treeDevice.get(obj))) {
      this.updateDevice(n);
      if (n.open && this.reshaped(obj, "parameters")) this.deviceChildren(n);
    }
    if ((n = this.treeParam.get(obj))) this.updateParam(n);
    if ((n = this.treeSlot.get(obj))) this.updateSlot(n);
    if ((n = this.gridCell.get(obj))) this.updateCell(n);
    if ((n = this.treeScene.get(obj))) this.updateScene(n);
    if ((n = this.gridRow.get(obj))) this.updateRow(n);
  }

  /** nodesOf lists the rendered (connected) nodes bound to obj. */
  nodesOf(obj) {
    const out = [];
    for (const m of [this.treeTrack, this.treeDevice, this.treeParam, this.treeSlot, this.treeScene, this.gridHead, this.gridRow, this.gridCell]) {
      const n = m.get(obj);
      if (n && (n.row || n.th || n.td || n.tr).isConnected) out.push(n);
    }
    return out;
  }

  /** flashNotes shows each change where it can be seen: the changed
   * attribute in blue when its row shows it, else the row in yellow, or —
   * inside a closed node — the nearest visible ancestor in yellow. Added
   * and removed rows were marked when they were created or ghosted. */
  flashNotes(notes) {
    const done = new Set();
    const now = performance.now();
    for (const c of notes) {
      // New rows were marked by born(); removed ones are ghosted, and
      // their owner still flashes below.
      if (Array.isArray(c.parent) && c.kind !== "remove") continue;
      const chain = c.chain; // ends with c.parent
      let attrKey = c.key;
      for (let i = chain.length - 1; i >= 0; i--) {
        const nodes = this.nodesOf(chain[i]);
        if (!nodes.length) {
          attrKey = i > 0 ? c.keys[i - 1] : attrKey;
          continue;
        }
        const own = i === chain.length - 1; // the node of the changed object itself
        for (const n of nodes) {
          const box = n.row || n.th || n.td || n.tr;
          const a = n.attr && n.attr[attrKey];
          // Its own attribute flashes where this node shows it (not at all
          // if it does not, as the grid shows no volume); a change inside
          // a closed node flashes the node.
          const target = own ? a : box;
          if (!target || done.has(target) || box.classList.contains("is-added")) continue;
          done.add(target);
          flash(target, target === box ? "mod" : "attr", now);
        }
        break;
      }
    }
  }

  // ---- cursor ----

  /** cursor highlights Live's selected track, scene and clip slot, and
   * scrolls them into view when the selection moved. */
  cursor(moved) {
    const s = this.state;
    const c = s.cursor && typeof s.cursor === "object" ? s.cursor : {};
    const tracks = Array.isArray(s.tracks) ? s.tracks : [];
    const scenes = Array.isArray(s.scenes) ? s.scenes : [];
    const t = tracks[c.track];
    const sc = scenes[c.scene];
    const cs = c.clip_slot && typeof c.clip_slot === "object" ? c.clip_slot : null;
    const slotTrack = cs ? tracks[cs.track] : undefined;
    const slot = slotTrack && Array.isArray(slotTrack.clip_slots) ? slotTrack.clip_slots[cs.scene] : undefined;
    const want = [];
    const add = (m, obj, part) => {
      const n = obj && typeof obj === "object" ? m.get(obj) : undefined;
      if (n && n[part]) want.push(n[part]);
    };
    add(this.treeTrack, t, "row");
    add(this.gridHead, t, "th");
    add(this.treeScene, sc, "row");
    add(this.gridRow, sc, "th");
    add(this.treeSlot, slot, "row");
    add(this.gridCell, slot, "td");
    for (const e of this.cursorEls) if (!want.includes(e)) e.classList.remove("cursor");
    for (const e of want) e.classList.add("cursor");
    this.cursorEls = want;
    const now = { track: c.track, scene: c.scene, slot: cs ? cs.track + "," + cs.scene : "" };
    const was = this.lastCursor || {};
    if (moved) {
      // Scroll to what moved, as little as needed, and only in the view on
      // screen: the tree shows the
      // selected track's row (or, when only the slot moved, the slot's);
      // the grid the slot, else the track's column, else the scene's row.
      const part = (m, obj, p) => (obj && typeof obj === "object" && m.get(obj) ? m.get(obj)[p] : null);
      const targets = [];
      if (now.track !== was.track) targets.push(part(this.treeTrack, t, "row"));
      else if (now.slot !== was.slot) targets.push(part(this.treeSlot, slot, "row"));
      if (now.slot !== was.slot) targets.push(part(this.gridCell, slot, "td"));
      else if (now.track !== was.track) targets.push(part(this.gridHead, t, "th"));
      else if (now.scene !== was.scene) targets.push(part(this.gridRow, sc, "th"));
      // Scrolling needs layout: done at the start of the next frame, when
      // this frame's layout is done, rather than forcing one now.
      const shown = targets.filter((e) => e && !e.closest("[hidden]"));
      if (shown.length) {
        requestAnimationFrame(() => {
          for (const e of shown) if (e.isConnected) e.scrollIntoView({ block: "nearest", inline: "nearest" });
        });
      }
    }
    this.lastCursor = now;
  }

  // ---- filter ----

  /** setFilter shows only what matches q by name (case-insensitive). */
  setFilter(q) {
    this.filter = q.trim().toLowerCase();
    this.applyFilter();
  }

  applyFilter() {
    const q = this.filter;
    const s = this.state;
    if (!s) return;
    const has = (v) => typeof v === "string" && v.toLowerCase().includes(q);
    for (const t of Array.isArray(s.tracks) ? s.tracks : []) {
      if (!t || typeof t !== "object") continue;
      let show = !q || has(t.name);
      if (!show && Array.isArray(t.devices)) show = t.devices.some((d) => d && (has(d.name) || (Array.isArray(d.parameters) && d.parameters.some((p) => p && has(p.name)))));
      if (!show && Array.isArray(t.clip_slots)) show = t.clip_slots.some((sl) => sl && sl.clip && has(sl.clip.name));
      const n = this.treeTrack.get(t);
      if (n) n.li.classList.toggle("hidden", !show);
      const h = this.gridHead.get(t);
      if (h) h.th.classList.toggle("hidden", !show);
      for (const sl of Array.isArray(t.clip_slots) ? t.clip_slots : []) {
        const cn = sl && typeof sl === "object" ? this.gridCell.get(sl) : undefined;
        if (cn) cn.td.classList.toggle("hidden", !show);
      }
    }
    for (const sc of Array.isArray(s.scenes) ? s.scenes : []) {
      const n = sc && typeof sc === "object" ? this.treeScene.get(sc) : undefined;
      if (n) n.li.classList.toggle("hidden", !!q && !has(sc.name));
    }
  }
}

/** playGlyph shows a slot's playing_status: 1 playing, 2 triggered, 3 recording. */
function playGlyph(st) {
  switch (st) {
    case 1:
      return "▶";
    case 2:
      return "▷";
    case 3:
      return "●";
    default:
      return "";
  }
}
