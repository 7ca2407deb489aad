// Distillation, transfer learning and explanations on the mnist digits (the full-size runs behind
// docs/compression-distillation.md, docs/transfer.md and docs/explanations.md), plus timings: the distillation
// loss kernels against the plain softmax cross-entropy, the student's inference against the teacher's, saliency
// and integrated gradients. Uses the built package (dist/): `npm run build` first. Section module for
// bench/run.js; `node bench/distill.js [--quick]` runs it alone and prints the markdown.
import { loadMnist } from '../dist/data/mnist-node.js';
import {
  adam,
  createEngine,
  dense,
  dropout,
  featureExtractor,
  init,
  integratedGradients,
  saliency,
  sequential,
  transfer,
} from '../dist/index.js';
import { distill } from '../dist/compress/index.js';
import { medianUs } from './lib.js';

const pct = (v) => `${(100 * v).toFixed(2)}%`;
const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
const SEEDS = [1, 2, 3];

const compileCE = (m, lr) =>
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: lr }), metrics: ['accuracy'] });

function teacherModel(width, seed = 7) {
  return sequential(
    [
      dense(width, { activation: 'relu', inputDim: 784 }),
      dropout(0.3),
      dense(width, { activation: 'relu' }),
      dropout(0.3),
      dense(10, { activation: 'softmax' }),
    ],
    { seed, name: `teacher-${width}` },
  );
}
const studentModel = (seed) =>
  sequential([dense(32, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], { seed });

/** Students alone and distilled (per seed) on (x, y); returns test accuracies. */
async function compareStudents(teacher, x, y, test, epochs, configs) {
  const out = { alone: [] };
  for (const [T, a] of configs) out[`T=${T}, alpha=${a}`] = [];
  for (const seed of SEEDS) {
    const s = compileCE(studentModel(seed), 2e-3);
    await s.fit(x, y, { epochs, batchSize: 64, seed });
    out.alone.push(s.evaluate(test.x, test.y).accuracy);
    s.dispose();
    for (const [T, a] of configs) {
      const d = compileCE(studentModel(seed), 2e-3);
      await distill(teacher, d, x, y, { temperature: T, alpha: a, epochs, batchSize: 64, seed });
      out[`T=${T}, alpha=${a}`].push(d.evaluate(test.x, test.y).accuracy);
      d.dispose();
    }
  }
  return out;
}

function accRows(res) {
  return Object.entries(res).map(
    ([k, v]) =>
      `| ${k} | ${v.map(pct).join(' / ')} | **${pct(mean(v))}** | ${k === 'alone' ? '—' : `${(100 * (mean(v) - mean(res.alone))).toFixed(2)} pt`} |`,
  );
}

async function distillation(train, test, quick, json) {
  const md = [];
  // (1) CI-sized: teacher and students on the same 2,000 digits.
  const sub = train.take(2000);
  const t2k = teacherModel(256);
  compileCE(t2k, 1e-3);
  await t2k.fit(sub.x, sub.y, {
    epochs: quick ? 10 : 30,
    batchSize: 64,
    seed: 7,
    augment: { imageShape: [28, 28], maxShift: 2 },
  });
  const t2kAcc = t2k.evaluate(test.x, test.y).accuracy;
  const sEpochs = quick ? 20 : 60;
  const configs = quick
    ? [[4, 0.1]]
    : [
        [4, 0.1],
        [2, 0.1],
        [8, 0.1],
        [4, 0.5],
        [4, 0],
      ];
  const small = await compareStudents(t2k, sub.x, sub.y, test, sEpochs, configs);
  json.subset = { teacherAccuracy: t2kAcc, studentEpochs: sEpochs, results: small };
  md.push(
    `**Same 2,000 training digits for teacher and students.** Teacher 784-256-256-10 (dropout 0.3, ±2 px shifts), ${pct(t2kAcc)}.`,
    `Students 784-32-10, Adam 2e-3, ${sEpochs} epochs, batch 64; test accuracy on the 2,000 held-out digits, seeds ${SEEDS.join(' / ')}:`,
    '',
    '| student | per seed | mean | vs alone |',
    '|---|---:|---:|---:|',
    ...accRows(small),
    '',
  );
  // (2) Unlabelled transfer set: the 2,000-digit teacher labels all 8,000 training images.
  const unl = [];
  for (const seed of SEEDS) {
    const d = compileCE(studentModel(seed), 2e-3);
    await distill(t2k, d, train.x, null, { temperature: 4, alpha: 0, epochs: quick ? 4 : 15, batchSize: 64, seed });
    unl.push(d.evaluate(test.x, test.y).accuracy);
    d.dispose();
  }
  json.unlabelled = unl;
  md.push(
    `**Unlabelled transfer set.** The same teacher's soft targets on all 8,000 training images (no labels beyond its 2,000; ` +
      `\`y = null\`, alpha 0, T 4): the student reaches ${unl.map(pct).join(' / ')} (mean **${pct(mean(unl))}**) against ${pct(mean(small.alone))} alone on the 2,000 labelled digits.`,
    '',
  );
  t2k.dispose();

  // (3) Full size: teacher and students on all 8,000 digits.
  const width = quick ? 256 : 512;
  const big = teacherModel(width);
  compileCE(big, 1e-3);
  await big.fit(train.x, train.y, {
    epochs: quick ? 4 : 15,
    batchSize: 64,
    seed: 7,
    augment: { imageShape: [28, 28], maxShift: 2 },
  });
  const bigAcc = big.evaluate(test.x, test.y).accuracy;
  const full = await compareStudents(big, train.x, train.y, test, quick ? 10 : 60, [[4, 0.1]]);
  json.full = { teacherAccuracy: bigAcc, results: full };
  // Size and speed: the point of a student.
  const st = compileCE(studentModel(1), 2e-3);
  await distill(big, st, train.x, train.y, { temperature: 4, alpha: 0.1, epochs: 1, batchSize: 64, seed: 1 });
  const one = { data: test.x.data.subarray(0, 784), shape: [1, 784] };
  const b256 = { data: test.x.data.subarray(0, 256 * 784), shape: [256, 784] };
  const t = await medianUs(
    [
      ['teacher 1', () => big.predict(one)],
      ['student 1', () => st.predict(one)],
      ['teacher 256', () => big.predict(b256)],
      ['student 256', () => st.predict(b256)],
    ],
    quick,
  );
  const tp = big.countParams().total;
  const sp = st.countParams().total;
  json.full.params = { teacher: tp, student: sp };
  json.full.latencyUs = t;
  md.push(
    `**All 8,000 training digits.** Teacher 784-${width}-${width}-10 (dropout 0.3, shifts), ${pct(bigAcc)}; students 784-32-10, ${quick ? 10 : 60} epochs:`,
    '',
    '| student | per seed | mean | vs alone |',
    '|---|---:|---:|---:|',
    ...accRows(full),
    '',
    `Student vs teacher: ${sp.toLocaleString('en-US')} vs ${tp.toLocaleString('en-US')} parameters (${(tp / sp).toFixed(0)}x fewer); ` +
      `predict() batch 1 ${t['student 1'].toFixed(1)} µs vs ${t['teacher 1'].toFixed(1)} µs (${(t['teacher 1'] / t['student 1']).toFixed(1)}x faster), ` +
      `batch 256 ${t['student 256'].toFixed(0)} µs vs ${t['teacher 256'].toFixed(0)} µs (${(t['teacher 256'] / t['student 256']).toFixed(1)}x).`,
    '',
  );
  st.dispose();
  big.dispose();
  return md;
}

async function lossKernels(quick, json) {
  // The fused distillation loss against the plain fused softmax cross-entropy, one 64 × 10 batch (forward +
  // backward), on the wasm kernels and on the js twins.
  const m = 64;
  const n = 10;
  const tasks = [];
  const engines = [
    ['wasm-simd', await init()],
    ['js', await createEngine('js')],
  ];
  for (const [name, e] of engines) {
    const z = e.upload(Float32Array.from({ length: m * n }, (_, i) => Math.sin(i) * 4));
    const t = e.upload(
      Float32Array.from({ length: 2 * m * n }, (_, i) =>
        i % (2 * n) < n ? Number(i % (2 * n) === (i >> 5) % n) : Math.cos(i) * 5,
      ),
    );
    const y = e.upload(Float32Array.from({ length: m * n }, (_, i) => Number(i % n === 3)));
    const p = e.allocF32(m * n);
    const dz = e.allocF32(m * n);
    const k = e.k;
    tasks.push([
      `${name} distill 64x10`,
      () => {
        k.distill_forward(p, z, t, m, n, 4, 0.1);
        k.distill_backward(dz, p, z, t, m, n, 4, 0.1);
      },
    ]);
    tasks.push([
      `${name} softmax_ce 64x10`,
      () => {
        k.softmax_ce_forward(p, z, y, 0, m, n);
        k.softmax_ce_backward(dz, p, y, 0, m, n);
      },
    ]);
  }
  const r = await medianUs(tasks, quick);
  json.lossKernelsUs = r;
  return [
    '**Loss kernels** (forward + backward of one 64 × 10 batch, median µs): ' +
      `distillation ${r['wasm-simd distill 64x10'].toFixed(2)} (wasm-simd) / ${r['js distill 64x10'].toFixed(2)} (js twin); ` +
      `plain softmax cross-entropy ${r['wasm-simd softmax_ce 64x10'].toFixed(2)} / ${r['js softmax_ce 64x10'].toFixed(2)}. ` +
      'Either is small next to the 784-32-10 forward/backward GEMMs of the same batch.',
    '',
  ];
}

async function transferLearning(train, test, quick, json) {
  const pick = (ds, lo, hi, n = Infinity) => {
    const idx = [];
    for (let i = 0; i < ds.size && idx.length < n; i++) if (ds.labels[i] >= lo && ds.labels[i] <= hi) idx.push(i);
    const sub = ds.subset(idx);
    return { x: sub.x, labels: Int32Array.from(sub.labels, (l) => l - lo) };
  };
  const a = pick(train, 0, 4);
  const few = pick(train, 5, 9, 500);
  const held = pick(test, 5, 9);
  const pre = sequential(
    [
      dense(256, { activation: 'relu', inputDim: 784, name: 'body' }),
      dense(64, { activation: 'relu', name: 'mid' }),
      dense(5, { activation: 'softmax', name: 'old_head' }),
    ],
    { seed: 1 },
  );
  compileCE(pre, 1e-3);
  await pre.fit(a.x, a.labels, {
    epochs: quick ? 5 : 20,
    batchSize: 64,
    seed: 1,
    augment: { imageShape: [28, 28], maxShift: 2 },
  });
  const head = () => [dense(64, { activation: 'relu' }), dense(5, { activation: 'softmax' })];
  const res = {
    'from scratch': [],
    'fine-tuned (body trainable)': [],
    'frozen body + new head': [],
    'extracted features → separate head': [],
  };
  const fe = quick ? 10 : 30;
  for (const seed of SEEDS) {
    const arms = [
      [
        'from scratch',
        compileCE(sequential([dense(256, { activation: 'relu', inputDim: 784 }), ...head()], { seed }), 1e-3),
      ],
      [
        'fine-tuned (body trainable)',
        compileCE(transfer(pre, { keep: 'body', head: head(), freeze: false, seed }), 1e-3),
      ],
      ['frozen body + new head', compileCE(transfer(pre, { keep: 'body', head: head(), seed }), 1e-3)],
    ];
    for (const [k, m] of arms) {
      await m.fit(few.x, few.labels, { epochs: fe, batchSize: 32, seed });
      res[k].push(m.evaluate(held.x, held.labels).accuracy);
      m.dispose();
    }
    const fx = featureExtractor(pre, { keep: 'body' });
    const h = compileCE(
      sequential([dense(64, { activation: 'relu', inputDim: 256 }), dense(5, { activation: 'softmax' })], { seed }),
      1e-3,
    );
    await h.fit(fx.predict(few.x), few.labels, { epochs: fe, batchSize: 32, seed });
    res['extracted features → separate head'].push(h.evaluate(fx.predict(held.x), held.labels).accuracy);
    h.dispose();
    fx.dispose();
  }
  pre.dispose();
  json.transfer = { pretrainRows: a.x.rows, fewRows: few.x.rows, testRows: held.x.rows, results: res };
  const base = mean(res['from scratch']);
  return [
    `Body 784-256 (+64) pretrained on the ${a.x.rows.toLocaleString('en-US')} training digits 0–4 (${quick ? 5 : 20} epochs, shifts); then ${few.x.rows} labelled`,
    `digits 5–9, ${fe} epochs, Adam 1e-3, batch 32, every arm the same 784-256-64-5 shape; accuracy on the ${held.x.rows} held-out digits 5–9:`,
    '',
    '| model | per seed | mean | vs scratch |',
    '|---|---:|---:|---:|',
    ...Object.entries(res).map(
      ([k, v]) =>
        `| ${k} | ${v.map(pct).join(' / ')} | **${pct(mean(v))}** | ${k === 'from scratch' ? '—' : `${(100 * (mean(v) - base)).toFixed(2)} pt`} |`,
    ),
    '',
  ];
}

function blurred(m, r) {
  const out = new Float32Array(m.data.length);
  for (let i = 0; i < m.rows; i++) {
    for (let y = 0; y < 28; y++) {
      for (let c = 0; c < 28; c++) {
        let s = 0;
        let k = 0;
        for (let dy = -r; dy <= r; dy++) {
          for (let dc = -r; dc <= r; dc++) {
            const yy = y + dy;
            const cc = c + dc;
            if (yy >= 0 && yy < 28 && cc >= 0 && cc < 28) {
              s += m.data[i * 784 + yy * 28 + cc];
              k++;
            }
          }
        }
        out[i * 784 + y * 28 + c] = s / k;
      }
    }
  }
  return { data: out, rows: m.rows, cols: 784 };
}

function strokeMass(attr, x, dilate, positive = true) {
  let mass = 0;
  let area = 0;
  for (let i = 0; i < x.rows; i++) {
    const mask = new Uint8Array(784);
    for (let j = 0; j < 784; j++) {
      if (x.data[i * 784 + j] <= 0.5) continue;
      const y = Math.floor(j / 28);
      const c = j % 28;
      const d = dilate ? 1 : 0;
      for (let dy = -d; dy <= d; dy++)
        for (let dc = -d; dc <= d; dc++)
          if (y + dy >= 0 && y + dy < 28 && c + dc >= 0 && c + dc < 28) mask[(y + dy) * 28 + c + dc] = 1;
    }
    let tot = 0;
    let on = 0;
    let cnt = 0;
    for (let j = 0; j < 784; j++) {
      const v = positive ? Math.max(0, attr.data[i * 784 + j]) : attr.data[i * 784 + j];
      tot += v;
      if (mask[j]) {
        on += v;
        cnt++;
      }
    }
    mass += on / tot / x.rows;
    area += cnt / 784 / x.rows;
  }
  return { mass, area };
}

async function explanations(train, test, quick, json) {
  const m = compileCE(
    sequential([dense(128, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], { seed: 1 }),
    1e-3,
  );
  await m.fit(train.x, train.y, { epochs: quick ? 3 : 10, batchSize: 64, seed: 1 });
  const acc = m.evaluate(test.x, test.y).accuracy;
  const x = test.take(quick ? 50 : 200).x;
  const blur = blurred(x, 4);
  const rows = [];
  const comp = {};
  // Completeness error |Σ attributions − Δf| relative to max(|Δf|, floor): a digit whose output hardly moves along
  // the path has no meaningful relative error, the floor bounds its absolute one. Also the worst absolute error.
  for (const space of ['output', 'logit']) {
    const floor = space === 'output' ? 0.05 : 0.5;
    for (const [bname, baseline] of [
      ['black', 0],
      ['blurred', blur],
    ]) {
      const cells = [];
      for (const steps of [16, 32, 64, 128]) {
        const r = integratedGradients(m, x, { steps, space, baseline });
        const rel = Array.from(r.delta, (d, i) => Math.abs(d) / Math.max(Math.abs(r.fx[i] - r.fBaseline[i]), floor));
        const abs = Math.max(...Array.from(r.delta, Math.abs));
        cells.push(
          `${(100 * Math.max(...rel)).toFixed(2)}% / ${(100 * mean(rel)).toFixed(3)}% / ${abs.toExponential(1)}`,
        );
        comp[`${space} ${bname} ${steps}`] = {
          worstRelative: Math.max(...rel),
          meanRelative: mean(rel),
          worstAbsolute: abs,
        };
      }
      rows.push(`| ${space} (floor ${floor}) | ${bname} | ${cells.join(' | ')} |`);
    }
  }
  const igBlack = integratedGradients(m, x, { steps: 64 }).attributions;
  const igBlur = integratedGradients(m, x, { steps: 64, baseline: blur }).attributions;
  const sal = saliency(m, x);
  const mass = {
    'IG, black baseline, pixels > 0.5': strokeMass(igBlack, x, false),
    'IG, blurred baseline, pixels > 0.5': strokeMass(igBlur, x, false),
    'IG, blurred baseline, strokes dilated by 1 px': strokeMass(igBlur, x, true),
    'saliency abs(∂logit/∂x), pixels > 0.5': strokeMass(sal, x, false, false),
    'saliency abs(∂logit/∂x), strokes dilated by 1 px': strokeMass(sal, x, true, false),
  };
  const one = { data: x.data.subarray(0, 784), shape: [1, 784] };
  const b64 = { data: x.data.subarray(0, 50 * 784), shape: [50, 784] };
  const t = await medianUs(
    [
      ['saliency 1', () => saliency(m, one)],
      ['saliency 50', () => saliency(m, b64)],
      ['ig64 1', () => integratedGradients(m, one, { steps: 64 })],
      ['ig64 50', () => integratedGradients(m, b64, { steps: 64 })],
    ],
    quick,
  );
  json.explanations = { accuracy: acc, rows: x.rows, completeness: comp, mass, latencyUs: t };
  m.dispose();
  return [
    `784-128-10 MLP (${pct(acc)} test accuracy); ${x.rows} held-out digits, the predicted class. Completeness error`,
    '|Σ attributions − Δf| / max(|Δf|, floor), Δf = f(x) − f(x′), worst / mean over the digits, then the worst absolute',
    'error |Σ attributions − Δf|; trapezoid rule:',
    '',
    '| f | baseline x′ | 16 steps | 32 steps | 64 steps | 128 steps |',
    '|---|---|---:|---:|---:|---:|',
    ...rows,
    '',
    'Where the attribution goes (share of the positive attribution, or of the saliency, on the mask; mask share of the image):',
    '',
    '| attribution | mass on mask | mask area |',
    '|---|---:|---:|',
    ...Object.entries(mass).map(([k, v]) => `| ${k} | ${pct(v.mass)} | ${pct(v.area)} |`),
    '',
    `Time (median): saliency ${t['saliency 1'].toFixed(0)} µs for one digit, ${(t['saliency 50'] / 1000).toFixed(2)} ms for 50; ` +
      `integrated gradients with 64 steps ${(t['ig64 1'] / 1000).toFixed(2)} ms for one digit, ${(t['ig64 50'] / 1000).toFixed(1)} ms for 50 (3,250 path points, batched).`,
    '',
  ];
}

export async function run({ quick = false } = {}) {
  await init();
  const { train, test } = loadMnist({ seed: 1 });
  const json = { quick };
  const markdown = [
    '### Knowledge distillation',
    '',
    ...(await distillation(train, test, quick, json)),
    ...(await lossKernels(quick, json)),
    '### Transfer learning (digits 0–4 → 5–9 from 500 examples)',
    '',
    ...(await transferLearning(train, test, quick, json)),
    '### Explanations',
    '',
    ...(await explanations(train, test, quick, json)),
  ].join('\n');
  return { title: 'Distillation, transfer learning, explanations', markdown, json };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run({ quick: process.argv.includes('--quick') });
  console.log(r.markdown);
  console.log(JSON.stringify(r.json));
}
