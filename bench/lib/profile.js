'use strict';
// Self time per function from a V8 .cpuprofile (node --cpu-prof): each sample is charged to
// the function on top of the stack, for the time until the next sample.
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

/** Where a function lives, short: `dist/src/http/…:12`, `@opentelemetry/x/…`, `node:_http_server`. */
function whereOf(callFrame) {
  let url = callFrame.url || '';
  if (url.startsWith('file://')) url = url.slice('file://'.length);
  if (url === '') return '';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) url = url.slice(nm + '/node_modules/'.length);
  else if (url.startsWith(ROOT)) url = path.relative(ROOT, url);
  return `${url}:${callFrame.lineNumber + 1}`;
}

/** Which code a function belongs to, for the per-package summary. */
function ownerOf(callFrame) {
  const url = callFrame.url || '';
  const name = callFrame.functionName;
  if (url === '') return name.startsWith('(') ? name : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  // dist/autoprom.js is the bundle: autoprom's code and the OpenTelemetry code it runs on.
  if (url.includes('/dist/src/') || url.includes('/dist/register') || url.endsWith('/dist/autoprom.js')) return 'autoprom';
  if (url.includes('/bench/')) return 'bench app';
  return url;
}

function keyOf(callFrame) {
  return `${callFrame.functionName || '(anonymous)'}@${whereOf(callFrame)}`;
}

/**
 * { totalMs, functions: [{ name, where, owner, selfMs, totalMs }], owners: Map(owner → { selfMs, totalMs }) }.
 * Self time: the function is on top of the stack. Total time: it is anywhere on the stack
 * (what it costs with everything it calls, node internals included).
 */
function selfTimes(file) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parentOf.set(c, n.id);
  const sampleUs = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the gap before sample i: sample i lasts until sample i+1, as DevTools counts.
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    sampleUs.set(samples[i], (sampleUs.get(samples[i]) || 0) + Math.max(dt, 0));
  }
  const functions = new Map();
  const owners = new Map();
  const fn = (cf) => {
    const key = keyOf(cf);
    let f = functions.get(key);
    if (f === undefined) {
      f = { name: cf.functionName || '(anonymous)', where: whereOf(cf), owner: ownerOf(cf), selfMs: 0, totalMs: 0 };
      functions.set(key, f);
    }
    return f;
  };
  const owner = (name) => {
    let o = owners.get(name);
    if (o === undefined) owners.set(name, (o = { selfMs: 0, totalMs: 0 }));
    return o;
  };
  let totalUs = 0;
  for (const [id, us] of sampleUs) {
    const ms = us / 1000;
    const top = fn(byId.get(id).callFrame);
    top.selfMs += ms;
    owner(top.owner).selfMs += ms;
    totalUs += us;
    const seenFunctions = new Set();
    const seenOwners = new Set();
    for (let n = id; n !== undefined; n = parentOf.get(n)) {
      const f = fn(byId.get(n).callFrame);
      if (!seenFunctions.has(f)) {
        seenFunctions.add(f);
        f.totalMs += ms;
      }
      if (!seenOwners.has(f.owner)) {
        seenOwners.add(f.owner);
        owner(f.owner).totalMs += ms;
      }
    }
  }
  return {
    totalMs: totalUs / 1000,
    functions: [...functions.values()].sort((a, b) => b.selfMs - a.selfMs),
    owners: new Map([...owners].sort((a, b) => b[1].selfMs - a[1].selfMs)),
  };
}

module.exports = { selfTimes };
