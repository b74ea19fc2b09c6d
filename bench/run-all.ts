/**
 * `npm run bench`: runs every benchmark that exists — primitives, DCGKA (vs
 * the floor and the recorded Java figures), schemes, MLS, post-quantum — prints one report
 * with ratios, and writes bench/results/*.json (each benchmark writes its own)
 * plus bench/results/REPORT.md (the tables as markdown, with the machine and
 * the date, for the README).
 *
 * Each benchmark is imported dynamically: a missing file, or one without its
 * run function, is skipped with a note. Options: `--quick` (fewer samples),
 * `--only=dcgka,mls` (a subset by name).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmtMs, fmtRatio } from './dcgka-report.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPORT_FILE = join(HERE, 'results', 'REPORT.md');

/** A benchmark run-all knows about. */
interface BenchEntry {
  readonly name: string;
  readonly title: string;
  readonly file: string;
  readonly run: string;
  readonly options: (quick: boolean) => Record<string, unknown>;
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const ENTRIES: readonly BenchEntry[] = [
  { name: 'primitives', title: 'Primitives (ops/s, node:crypto vs portable vs @hpke/core)', file: 'primitives.ts', run: 'runPrimitivesBench', options: (q) => ({ timeMs: q ? 80 : 250 }) },
  { name: 'dcgka', title: 'DCGKA operations (groupcrypt vs floor vs recorded dcgka-java)', file: 'dcgka.ts', run: 'runDcgkaBench', options: (q) => ({ quick: q, log }) },
  { name: 'schemes', title: 'Encryption schemes (data, message)', file: 'schemes.ts', run: 'runSchemesBench', options: (q) => ({ quick: q, log }) },
  { name: 'sync', title: 'The command\'s sync on a big shared folder (100,000 old files, 10 new)', file: 'sync.ts', run: 'runSyncBench', options: (q) => ({ quick: q, log }) },
  { name: 'commands', title: 'The command in a 16- and a 64-member group (time per command vs a bare node start)', file: 'commands.ts', run: 'runCommandsBench', options: (q) => ({ quick: q, log }) },
  { name: 'swarm', title: 'Swarm: 8 members on a local Hyperswarm testnet, 1 KiB (vs folder vs bare Hypercore floor)', file: 'swarm.ts', run: 'runSwarmBench', options: (q) => ({ quick: q, log }) },
  { name: 'mls', title: 'Secret Group on MLS (groupcrypt-mls vs stock ts-mls)', file: 'mls.ts', run: 'runMlsBench', options: (q) => ({ log, ...(q ? { sizes: [8, 32] } : {}) }) },
  {
    name: 'mls-crossover', title: 'DCGKA vs MLS crossover: update cost and bytes, n = 8 … 1024 (same run)', file: 'mls-crossover.ts', run: 'runCrossoverBench',
    options: (q) => ({ log, ...(q ? { sizes: [8, 32, 128] } : {}) }),
  },
  { name: 'pq', title: 'Post-quantum groups vs classic (DCGKA, ML-KEM / X-Wing per provider and runtime, MLS X-Wing suite)', file: 'pq.ts', run: 'runPqBench', options: (q) => ({ quick: q, log }) },
  { name: 'state-growth', title: 'State growth (8 members through 10,000 mixed operations)', file: 'state-growth.ts', run: 'runStateGrowthBench', options: (q) => ({ quick: q, log }) },
  { name: 'processed-ids', title: 'Processed ids: one mark per log (net of logs) or per peer folder (shared folder) vs one row per item (plain net), 3,000-message backlog', file: 'processed-ids.ts', run: 'runProcessedIdsBench', options: (q) => ({ quick: q, log }) },
];

/** What one section of the report holds. */
interface Section {
  readonly entry: BenchEntry;
  readonly status: 'ran' | 'skipped' | 'failed';
  readonly note?: string;
  readonly text?: string;
  readonly markdown?: string;
  readonly result?: unknown;
  readonly seconds?: number;
}

/** Machine description for the report. */
export function machineInfo(): { cpu: string; cores: number; memoryGiB: number; os: string; node: string; date: string } {
  const list = cpus();
  return {
    cpu: list[0]?.model ?? 'unknown', cores: list.length, memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`, node: process.version, date: new Date().toISOString(),
  };
}

function tableOf(result: unknown): { text?: string; markdown?: string } {
  if (typeof result !== 'object' || result === null) return {};
  const r = result as { table?: unknown; markdown?: unknown; targets?: unknown };
  const text = typeof r.table === 'string' ? r.table : undefined;
  const targets = Array.isArray(r.targets) ? `\n\n${r.targets.join('\n')}` : '';
  const markdown = typeof r.markdown === 'string' ? `${r.markdown}${targets ? `\n\n\`\`\`${targets}\n\`\`\`` : ''}` : text ? `\`\`\`\n${text}${targets}\n\`\`\`` : undefined;
  return { ...(text ? { text: `${text}${targets}` } : {}), ...(markdown ? { markdown } : {}) };
}

async function runEntry(entry: BenchEntry, quick: boolean): Promise<Section> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(join(HERE, entry.file)).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(entry.file);
    return { entry, status: missing ? 'skipped' : 'failed', note: missing ? `bench/${entry.file} does not exist yet` : `import failed: ${(error as Error).message}` };
  }
  const run = mod[entry.run];
  if (typeof run !== 'function') return { entry, status: 'skipped', note: `bench/${entry.file} exports no ${entry.run}()` };
  const started = performance.now();
  try {
    log(`▶ ${entry.name}`);
    const result: unknown = await (run as (o: Record<string, unknown>) => unknown)(entry.options(quick));
    const seconds = (performance.now() - started) / 1000;
    log(`  ${entry.name}: ${seconds.toFixed(0)} s`);
    return { entry, status: 'ran', result, seconds, ...tableOf(result) };
  } catch (error) {
    return { entry, status: 'failed', note: `${entry.run}() threw: ${(error as Error).stack ?? String(error)}` };
  }
}

interface AnyRow { impl?: string; op?: string; n?: number; senderMs?: number; recipientMs?: number; bytes?: number }

function rowsOf(section: Section | undefined): AnyRow[] {
  const r = section?.result;
  if (Array.isArray(r)) return r as AnyRow[];
  if (typeof r === 'object' && r !== null && Array.isArray((r as { rows?: unknown }).rows)) return (r as { rows: AnyRow[] }).rows;
  return [];
}

/** The headline comparisons across benchmarks (update at n = 128). */
function headline(sections: readonly Section[]): string[] {
  const dcgka = rowsOf(sections.find((s) => s.entry.name === 'dcgka'));
  const mls = rowsOf(sections.find((s) => s.entry.name === 'mls'));
  const pick = (rows: AnyRow[], impl: string, op: string, n: number): AnyRow | undefined => rows.find((r) => r.impl === impl && r.op === op && r.n === n);
  const lines: string[] = [];
  const ours = pick(dcgka, 'groupcrypt', 'update', 128);
  const java = pick(dcgka, 'dcgka-java', 'update', 128);
  const floor = pick(dcgka, 'floor', 'update', 128);
  if (ours) {
    lines.push(`DCGKA update, n=128: sender ${fmtMs(ours.senderMs)} ms (${fmtRatio(ours.senderMs, java?.senderMs)} of recorded dcgka-java ${fmtMs(java?.senderMs)} ms, ${fmtRatio(ours.senderMs, floor?.senderMs)} of the floor ${fmtMs(floor?.senderMs)} ms); recipient ${fmtMs(ours.recipientMs)} ms (${fmtRatio(ours.recipientMs, java?.recipientMs)} of Java); ${ours.bytes?.toLocaleString('en-US')} B on the wire (${fmtRatio(ours.bytes, java?.bytes)} of Java)`);
  }
  const msg = pick(dcgka, 'groupcrypt', 'message', 128);
  if (msg) lines.push(`Application message (32 B plaintext, signed): ${msg.bytes} B on the wire (dcgka-java: ${pick(dcgka, 'dcgka-java', 'message', 128)?.bytes ?? '-'} B)`);
  const gm = pick(mls, 'groupcrypt-mls', 'update', 128);
  if (gm && ours) {
    lines.push(`Secret Group on MLS, update n=128: sender ${fmtMs(gm.senderMs)} ms, recipient ${fmtMs(gm.recipientMs)} ms, ${gm.bytes?.toLocaleString('en-US')} B (DCGKA÷MLS: sender ${fmtRatio(ours.senderMs, gm.senderMs)}, recipient ${fmtRatio(ours.recipientMs, gm.recipientMs)}, bytes ${fmtRatio(ours.bytes, gm.bytes)}; MLS: no acks, commits need a total order — not the same guarantees)`);
  }
  return lines;
}

function renderReport(sections: readonly Section[], style: 'text' | 'markdown', quick: boolean): string {
  const m = machineInfo();
  const out: string[] = [];
  const machine = `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`;
  if (style === 'markdown') {
    out.push('# groupcrypt benchmark report', '', `- Date: ${m.date}`, `- Machine: ${machine}`, `- Command: \`npm run bench${quick ? ' -- --quick' : ''}\``,
      '- Times are CPU ms of the measuring process (shared, noisy machines: compare ratios within a run, ±15–20 % between runs).', '');
  } else {
    out.push('groupcrypt benchmark report', `date: ${m.date}`, `machine: ${machine}`, '');
  }
  const heads = headline(sections);
  if (heads.length > 0) {
    out.push(style === 'markdown' ? '## Headline\n' : 'Headline');
    for (const h of heads) out.push(style === 'markdown' ? `- ${h}` : `  ${h}`);
    out.push('');
  }
  for (const s of sections) {
    const title = `${s.entry.title} — bench/${s.entry.file}`;
    out.push(style === 'markdown' ? `## ${title}\n` : `=== ${title} ===`);
    if (s.status !== 'ran') out.push(`${s.status}: ${s.note ?? ''}`);
    else out.push((style === 'markdown' ? s.markdown : s.text) ?? '(no table returned; see bench/results/)', style === 'markdown' ? `\n_${s.seconds?.toFixed(0)} s_` : `(${s.seconds?.toFixed(0)} s)`);
    out.push('');
  }
  return out.join('\n');
}

/**
 * Runs every benchmark present, prints one report, writes REPORT.md.
 * @example await runAll({ quick: true });
 */
export async function runAll(options: { readonly quick?: boolean; readonly only?: readonly string[] } = {}): Promise<{ text: string; markdown: string }> {
  const quick = options.quick ?? false;
  const sections: Section[] = [];
  for (const entry of ENTRIES) {
    if (options.only && !options.only.includes(entry.name)) continue;
    sections.push(await runEntry(entry, quick));
  }
  const text = renderReport(sections, 'text', quick);
  let markdown = renderReport(sections, 'markdown', quick);
  if (options.only && existsSync(REPORT_FILE)) markdown = mergeReport(readFileSync(REPORT_FILE, 'utf8'), markdown, options.only, quick);
  mkdirSync(dirname(REPORT_FILE), { recursive: true });
  writeFileSync(REPORT_FILE, `${markdown.trimEnd()}\n`);
  return { text, markdown };
}

/** Splits a report into its preamble and its `## ` sections (each with its heading line). */
function splitSections(markdown: string): { preamble: string; sections: { heading: string; body: string }[] } {
  const parts = markdown.split(/^(?=## )/m);
  const preamble = parts[0]?.startsWith('## ') ? '' : (parts.shift() ?? '');
  return { preamble, sections: parts.map((p) => ({ heading: p.slice(0, p.indexOf('\n') < 0 ? p.length : p.indexOf('\n')), body: p })) };
}

/**
 * A partial run (`--only`) keeps the other sections of the previous report:
 * each section that ran replaces its namesake (or is added in bench order),
 * marked as re-run alone; the preamble (date of the full run) and the
 * headline stay, unless this run produced a headline of its own.
 */
export function mergeReport(previous: string, fresh: string, only: readonly string[], quick: boolean): string {
  const old = splitSections(previous);
  const now = splitSections(fresh);
  const date = new Date().toISOString();
  const note = `_Re-run alone on ${date} (\`npm run bench -- ${quick ? '--quick ' : ''}--only=${only.join(',')}\`); the other sections are from the run dated above._\n\n`;
  const merged = [...old.sections];
  for (const section of now.sections) {
    const isHeadline = section.heading === '## Headline';
    const body = isHeadline ? section.body : section.body.replace(/^(## [^\n]*\n\n?)/, `$1${note}`);
    const at = merged.findIndex((s) => s.heading === section.heading);
    if (at >= 0) merged[at] = { heading: section.heading, body };
    else {
      // insert before the first old section that comes later in ENTRIES (keeps the report in bench order)
      const order = (heading: string): number => ENTRIES.findIndex((e) => heading === `## ${e.title} — bench/${e.file}`);
      const mine = order(section.heading);
      const next = merged.findIndex((s) => order(s.heading) > mine);
      merged.splice(next < 0 ? merged.length : next, 0, { heading: section.heading, body });
    }
  }
  return `${old.preamble}${merged.map((s) => `${s.body.trimEnd()}\n\n`).join('')}`;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const { text } = await runAll({ quick: args.includes('--quick'), ...(only ? { only } : {}) });
  console.log(text);
  console.log(`wrote ${REPORT_FILE} and bench/results/*.json`);
}
