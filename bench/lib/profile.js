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
  if (url.includes('/dist/src/') || url.includes('/dist/register')) return 'autoprom';
  if (url.includes('/bench/')) return 'bench app';
  return url;
}

/** { totalMs, functions: [{ name, where, owner, selfMs }], owners: Map(owner → ms) } */
function selfTimes(file) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the gap before sample i: sample i lasts until sample i+1, as DevTools counts.
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) || 0) + Math.max(dt, 0));
  }
  const functions = new Map();
  const owners = new Map();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const cf = node.callFrame;
    const name = cf.functionName || '(anonymous)';
    const where = whereOf(cf);
    const key = `${name}@${where}`;
    const f = functions.get(key) || { name, where, owner: ownerOf(cf), selfMs: 0 };
    f.selfMs += us / 1000;
    functions.set(key, f);
    owners.set(f.owner, (owners.get(f.owner) || 0) + us / 1000);
    totalUs += us;
  }
  return {
    totalMs: totalUs / 1000,
    functions: [...functions.values()].sort((a, b) => b.selfMs - a.selfMs),
    owners: new Map([...owners].sort((a, b) => b[1] - a[1])),
  };
}

module.exports = { selfTimes };
