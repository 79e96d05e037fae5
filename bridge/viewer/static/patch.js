// patch.js — RFC 6902 JSON Patch on RFC 6901 JSON Pointers, applied in place.
//
// The viewer knows the *shape* of the Set (tracks, scenes, cursor …) but not
// the bridge's event catalog: the bridge sends, with every event, the patch
// operations its mirror applied, and this file applies them to the page's
// copy. Keeping it generic means a new event in the Remote Script needs no
// change here.

/** PatchError: the patch does not fit the document (the copy drifted). */
export class PatchError extends Error {}

const indexRe = /^(0|[1-9][0-9]*)$/;

/**
 * parsePointer turns "/a/b~1c/~0d" into ["a", "b/c", "~d"]; "" is the root.
 * @param {string} ptr
 * @returns {string[]}
 */
export function parsePointer(ptr) {
  if (ptr === "") return [];
  if (typeof ptr !== "string" || ptr[0] !== "/") {
    throw new PatchError(`bad JSON pointer ${JSON.stringify(ptr)}`);
  }
  // ~1 first, then ~0: "~01" is "~1", not "/" (RFC 6901 §4).
  return ptr.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function isContainer(v) {
  return v !== null && typeof v === "object";
}

/** arrayIndex reads token as an index into arr; "-" only where appending is allowed. */
function arrayIndex(arr, token, forInsert) {
  if (token === "-" && forInsert) return arr.length;
  if (!indexRe.test(token)) throw new PatchError(`bad array index ${JSON.stringify(token)}`);
  const i = Number(token);
  if (i > arr.length || (!forInsert && i === arr.length)) {
    throw new PatchError(`array index ${i} out of range (length ${arr.length})`);
  }
  return i;
}

/**
 * walk follows all but the last token; it returns the chain of containers
 * from the root to the parent and the keys taken, so callers know every
 * object a change touched.
 */
function walk(doc, tokens) {
  const chain = [doc];
  const keys = [];
  let cur = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i];
    if (!isContainer(cur)) throw new PatchError(`path /${tokens.slice(0, i).join("/")} is not a container`);
    let next;
    if (Array.isArray(cur)) next = cur[arrayIndex(cur, t, false)];
    else if (Object.prototype.hasOwnProperty.call(cur, t)) next = cur[t];
    else throw new PatchError(`no member ${JSON.stringify(t)}`);
    keys.push(t);
    cur = next;
    chain.push(cur);
  }
  if (!isContainer(cur)) throw new PatchError(`parent of /${tokens.join("/")} is not a container`);
  return { parent: cur, chain, keys };
}

function get(doc, tokens) {
  if (tokens.length === 0) return doc;
  const { parent } = walk(doc, tokens);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, false)];
  if (!Object.prototype.hasOwnProperty.call(parent, last)) throw new PatchError(`no member ${JSON.stringify(last)}`);
  return parent[last];
}

/** deepEqual compares JSON values (the "test" operation). */
export function deepEqual(a, b) {
  if (a === b) return true;
  if (!isContainer(a) || !isContainer(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqual(a[k], b[k])) return false;
  }
  return true;
}

function clone(v) {
  return isContainer(v) ? JSON.parse(JSON.stringify(v)) : v;
}

/**
 * Change describes one applied operation for the renderer:
 *   kind    "add" | "remove" | "replace" (move = remove + add, copy = add)
 *   chain   containers from the root to the parent of the changed member
 *   keys    the keys taken between them (chain[i][keys[i]] === chain[i+1])
 *   key     the changed member of the parent (an array index as a string)
 *   value   the new value (add, replace); old: the value it replaced or removed
 * @typedef {{kind:string, chain:any[], keys:string[], key:string, value?:any, old?:any, parent:any}} Change
 */

function addAt(doc, tokens, value, note) {
  if (tokens.length === 0) return value;
  const { parent, chain, keys } = walk(doc, tokens);
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, true);
    parent.splice(i, 0, value);
    note({ kind: "add", chain, keys, parent, key: String(i), value });
  } else {
    const had = Object.prototype.hasOwnProperty.call(parent, key);
    const old = parent[key];
    parent[key] = value;
    note({ kind: had ? "replace" : "add", chain, keys, parent, key, value, old });
  }
  return doc;
}

function removeAt(doc, tokens, note) {
  if (tokens.length === 0) throw new PatchError("cannot remove the whole document");
  const { parent, chain, keys } = walk(doc, tokens);
  const key = tokens[tokens.length - 1];
  let old;
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, false);
    old = parent.splice(i, 1)[0];
  } else {
    if (!Object.prototype.hasOwnProperty.call(parent, key)) throw new PatchError(`no member ${JSON.stringify(key)} to remove`);
    old = parent[key];
    delete parent[key];
  }
  note({ kind: "remove", chain, keys, parent, key, old });
  return old;
}

/**
 * applyPatch applies ops to doc in place and returns the document (a new
 * one only when an op replaces the root). note(change) is called after each
 * operation. On a PatchError the document may be partly patched: the
 * viewer then starts again from a fresh snapshot, so no rollback is kept.
 * @param {any} doc
 * @param {Array<{op:string, path:string, from?:string, value?:any}>} ops
 * @param {(c: Change) => void} [note]
 */
export function applyPatch(doc, ops, note = () => {}) {
  if (!Array.isArray(ops)) throw new PatchError("a patch is an array of operations");
  for (const op of ops) {
    if (!isContainer(op) || typeof op.path !== "string") throw new PatchError("an operation needs a path");
    const path = parsePointer(op.path);
    switch (op.op) {
      case "add":
        if (!("value" in op)) throw new PatchError("add needs a value");
        doc = addAt(doc, path, op.value, note);
        break;
      case "remove":
        removeAt(doc, path, note);
        break;
      case "replace": {
        if (!("value" in op)) throw new PatchError("replace needs a value");
        if (path.length === 0) {
          doc = op.value;
          note({ kind: "replace", chain: [], keys: [], parent: null, key: "", value: op.value });
          break;
        }
        const { parent, chain, keys } = walk(doc, path);
        const key = path[path.length - 1];
        let k = key;
        if (Array.isArray(parent)) k = arrayIndex(parent, key, false);
        else if (!Object.prototype.hasOwnProperty.call(parent, key)) throw new PatchError(`no member ${JSON.stringify(key)} to replace`);
        const old = parent[k];
        parent[k] = op.value;
        note({ kind: "replace", chain, keys, parent, key: String(k), value: op.value, old });
        break;
      }
      case "move": {
        const from = parsePointer(op.from);
        if (op.from === op.path) { get(doc, from); break; }
        if (op.path.startsWith(op.from + "/")) throw new PatchError("cannot move a value into itself");
        const v = removeAt(doc, from, note);
        doc = addAt(doc, path, v, note);
        break;
      }
      case "copy":
        doc = addAt(doc, path, clone(get(doc, parsePointer(op.from))), note);
        break;
      case "test":
        if (!deepEqual(get(doc, path), op.value)) throw new PatchError(`test failed at ${op.path}`);
        break;
      default:
        throw new PatchError(`unknown operation ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}
