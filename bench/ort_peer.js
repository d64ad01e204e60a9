// ort_peer.js — ONNX Runtime's side of the encoder comparison
// (bench/ort_peer.sh runs it beside `finsent bench classify --ids`).
//
// Reads token-id sequences (JSON lines with an "ids" array, as `finsent
// tokenize` writes them), sorts them by length, cuts them into batches of
// --batch, pads each batch to its longest sequence with an attention mask,
// and runs an ONNX model exported by tools/export_onnx.py on them, in whole
// passes over all batches until --seconds have gone, after one warm-up
// pass. Prints one
// JSON object: sequences/s, tokens/s (real tokens), CPU seconds of the
// process meanwhile (all threads: spinning counts), peak RSS.
//
// With --check FILE (the output of `finsent classify --logits --tokens`) it
// instead runs each of those token sequences alone and prints the largest
// difference between ONNX Runtime's logits and finsent's.
//
// usage: node ort_peer.js --onnx FILE (--ids FILE [--threads N] [--batch N] [--seconds S] | --check FILE)
'use strict';

const fs = require('fs');
const ort = require('onnxruntime-node');

function args() {
  const a = { threads: 1, batch: 32, seconds: 3 };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i += 2) {
    const k = v[i].replace(/^--/, '');
    const file = ['onnx', 'ids', 'check'].includes(k);
    if (!(k in a) && !file) throw new Error(`unknown option ${v[i]}`);
    a[k] = file ? v[i + 1] : Number(v[i + 1]);
  }
  if (!a.onnx || !a.ids === !a.check) {
    throw new Error('usage: node ort_peer.js --onnx FILE (--ids FILE [--threads N] [--batch N] [--seconds S] | --check FILE)');
  }
  return a;
}

function batches(seqs, size) {
  seqs.sort((x, y) => x.length - y.length);
  const out = [];
  for (let i = 0; i < seqs.length; i += size) {
    const part = seqs.slice(i, i + size);
    const T = part[part.length - 1].length;
    const ids = new BigInt64Array(part.length * T), mask = new BigInt64Array(part.length * T);
    part.forEach((s, b) => s.forEach((id, t) => { ids[b * T + t] = BigInt(id); mask[b * T + t] = 1n; }));
    out.push({
      feeds: {
        input_ids: new ort.Tensor('int64', ids, [part.length, T]),
        attention_mask: new ort.Tensor('int64', mask, [part.length, T]),
      },
      n: part.length,
      tokens: part.reduce((s, q) => s + q.length, 0),
    });
  }
  return out;
}

async function check(a) {
  const sess = await ort.InferenceSession.create(a.onnx, { intraOpNumThreads: 1 });
  const lines = fs.readFileSync(a.check, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  let worst = 0;
  for (const l of lines) {
    const ids = BigInt64Array.from(l.tokens, (x) => BigInt(x));
    const out = await sess.run({
      input_ids: new ort.Tensor('int64', ids, [1, ids.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
    });
    out.logits.data.forEach((x, j) => { worst = Math.max(worst, Math.abs(x - l.logits[j])); });
  }
  console.log(JSON.stringify({ check: 'logits', sequences: lines.length, max_abs_diff: worst }));
}

async function main() {
  const a = args();
  if (a.check) return check(a);
  const seqs = fs.readFileSync(a.ids, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l).ids);
  const sess = await ort.InferenceSession.create(a.onnx, {
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const bs = batches(seqs, a.batch);
  for (const b of bs) await sess.run(b.feeds); // warm-up: every shape once
  let n = 0, tokens = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let dt = 0;
  do { // whole passes over the batches, so that every length counts alike
    for (const b of bs) {
      await sess.run(b.feeds);
      n += b.n;
      tokens += b.tokens;
    }
    dt = Number(process.hrtime.bigint() - t0) * 1e-9;
  } while (dt < a.seconds);
  const cpu = process.cpuUsage(cpu0), cpuSeconds = (cpu.user + cpu.system) * 1e-6;
  console.log(JSON.stringify({
    peer: 'onnxruntime-node', version: require('onnxruntime-node/package.json').version, threads: a.threads,
    batch: a.batch, sequences: n, seconds: dt, sequences_per_s: n / dt, tokens_per_s: tokens / dt,
    cpu_seconds: cpuSeconds, sequences_per_cpu_s: n / cpuSeconds, max_rss_mb: process.resourceUsage().maxRSS / 1024,
  }));
}

main().catch((e) => { console.error(`ort_peer: ${e.message}`); process.exit(1); });
