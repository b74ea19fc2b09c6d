/**
 * Formatting of the DCGKA benchmark: one table (plain text or markdown) with
 * the ratios groupcrypt / dcgka-java (recorded) and groupcrypt / floor (same
 * run), and the target check of BENCHMARKS.md — measured, never asserted.
 */
import type { DcgkaRow } from './dcgka.js';

/** Renders rows of cells as an aligned text table or a markdown table. */
export function renderTable(header: readonly string[], body: readonly (readonly string[])[], style: 'text' | 'markdown', rightAlignFrom = 0): string {
  if (style === 'markdown') {
    const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
    const rule = header.map((_, i) => (i >= rightAlignFrom ? '---:' : '---'));
    return [line(header), line(rule), ...body.map(line)].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const pad = (cells: readonly string[]): string => cells.map((c, i) => (i >= rightAlignFrom ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [pad(header), ...body.map((r) => (r.length === 0 ? '' : pad(r)))].join('\n');
}

/** A ms figure with sensible precision. */
export function fmtMs(v: number | undefined): string {
  if (v === undefined) return '-';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

/** A ratio `a / b` as e.g. `0.45×`, or `-` when either side is missing or zero. */
export function fmtRatio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || b === 0 || a === 0) return '-';
  return `${(a / b).toFixed(2)}×`;
}

const IMPL_ORDER = ['groupcrypt', 'groupcrypt-portable', 'floor', 'dcgka-java'];
const OP_ORDER = ['create', 'add', 'remove', 'update', 'message'];

function find(rows: readonly DcgkaRow[], impl: string, op: string, n: number): DcgkaRow | undefined {
  return rows.find((r) => r.impl === impl && r.op === op && r.n === n);
}

/**
 * The DCGKA table: one line per (op, n, impl), grouped by op and n, with
 * ratios on our lines: S = senderMs, R = recipientMs, Rp = recipientProcMs, B = bytes.
 */
export function formatDcgkaTable(rows: readonly DcgkaRow[], style: 'text' | 'markdown'): string {
  const header = ['op', 'n', 'impl', 'senderMs', 'gen', 'acks', 'recipientMs', 'proc', 'acks', 'bytes', 'S÷java', 'R÷java', 'Rp÷java', 'B÷java', 'S÷floor', 'iters'];
  const body: string[][] = [];
  const keys = [...new Set(rows.map((r) => `${r.op}|${r.n}`))]
    .map((k) => { const [op, n] = k.split('|'); return { op: op as string, n: Number(n) }; })
    .sort((a, b) => OP_ORDER.indexOf(a.op) - OP_ORDER.indexOf(b.op) || a.n - b.n);
  let lastOp = '';
  for (const { op, n } of keys) {
    if (op !== lastOp && lastOp !== '' && style === 'text') body.push([]);
    lastOp = op;
    const java = find(rows, 'dcgka-java', op, n);
    const floor = find(rows, 'floor', op, n);
    for (const impl of IMPL_ORDER) {
      const r = find(rows, impl, op, n);
      if (!r) continue;
      const ours = impl.startsWith('groupcrypt');
      const isMessage = op === 'message';
      body.push([
        op, String(n), r.recorded ? `${impl} (recorded)` : impl,
        fmtMs(r.senderMs), fmtMs(r.senderGenMs), isMessage ? '-' : fmtMs(r.senderAckMs),
        fmtMs(r.recipientMs), fmtMs(r.recipientProcMs), isMessage ? '-' : fmtMs(r.recipientAckMs),
        r.bytes.toLocaleString('en-US'),
        ours ? fmtRatio(r.senderMs, java?.senderMs) : '', ours ? fmtRatio(r.recipientMs, java?.recipientMs) : '',
        ours ? fmtRatio(r.recipientProcMs, java?.recipientProcMs) : '', ours ? fmtRatio(r.bytes, java?.bytes) : '',
        ours || impl === 'dcgka-java' ? (floor ? fmtRatio(r.senderMs, floor.senderMs) : '') : '',
        String(r.iters),
      ]);
    }
  }
  const legend = [
    'gen/acks = senderGenMs/senderAckMs; proc/acks = recipientProcMs/recipientAckMs (member 2). CPU ms, mean over iters after warm-up.',
    'S, R, Rp, B = senderMs, recipientMs, recipientProcMs, bytes; ÷java against the recorded dcgka-java figures (another run, ±20 %),',
    '÷floor against the floor of the same n measured in this run (n−1 × [HPKE seal of 64 B + the next 2SM key pair] + n−1 signature checks; BENCHMARKS.md). Below 1× = groupcrypt cheaper.',
  ];
  const table = renderTable(header, body, style, 3);
  return style === 'markdown' ? `${table}\n\n${legend.join(' ')}` : `${table}\n\n${legend.join('\n')}`;
}

function check(label: string, value: number | undefined, limit: number | undefined, unit: string, what: string): string {
  if (value === undefined || limit === undefined) return `  [ n/a ] ${label}: not measured`;
  const ok = value <= limit;
  const fmt = (v: number): string => (unit === 'B' ? `${Math.round(v).toLocaleString('en-US')} B` : `${fmtMs(v)} ms`);
  return `  [${ok ? ' met' : 'MISS'}] ${label}: ${fmt(value)} vs ${what} ${fmt(limit)} (${fmtRatio(value, limit)} of the limit)`;
}

/**
 * The floor counts one key pair per 2SM message (BENCHMARKS.md); DCGKA.md §3 makes two, one for the sender
 * and one for the peer. Printed beside the target, never folded into the floor.
 */
function secondKeyPairLine(ours: number, floor: number, peerKeys: number): string {
  const with2 = floor + peerKeys;
  return `         the 2SM's second key pair per recipient (DCGKA.md §3), not in the floor: +${fmtMs(peerKeys)} ms this run; floor with it ${fmtMs(with2)} ms, ours ${fmtRatio(ours, with2)} of it`;
}

/** Largest growth of an update's cost from n=128 to n=1024 (issue 13; linear is 8×). */
const MAX_GROWTH = 9;

/** The BENCHMARKS.md targets checked against this run's rows (measured, not asserted). */
export function targetLines(rows: readonly DcgkaRow[]): string[] {
  const ours = find(rows, 'groupcrypt', 'update', 128);
  const java = find(rows, 'dcgka-java', 'update', 128);
  const floor = find(rows, 'floor', 'update', 128);
  const big = find(rows, 'groupcrypt', 'update', 1024);
  const bigFloor = find(rows, 'floor', 'update', 1024);
  const msg = find(rows, 'groupcrypt', 'message', 128);
  const lines = ['Targets (BENCHMARKS.md; update at n=128 unless said; measured, not asserted):'];
  lines.push(check('senderMs ≤ ½ dcgka-java', ours?.senderMs, java ? java.senderMs / 2 : undefined, 'ms', '½ of recorded'));
  lines.push(check('senderMs ≤ 1.2 × floor', ours?.senderMs, floor ? floor.senderMs * 1.2 : undefined, 'ms', '1.2 × floor'));
  if (ours && floor?.peerKeysMs !== undefined) lines.push(secondKeyPairLine(ours.senderMs, floor.senderMs, floor.peerKeysMs));
  lines.push(check('recipientMs ≤ ½ dcgka-java', ours?.recipientMs, java ? java.recipientMs / 2 : undefined, 'ms', '½ of recorded'));
  lines.push(check('recipientProcMs ≤ ⅓ dcgka-java', ours?.recipientProcMs, java ? java.recipientProcMs / 3 : undefined, 'ms', '⅓ of recorded'));
  if (ours && java && floor?.controlCheckMs !== undefined) {
    const least = floor.recipientProcMs + floor.controlCheckMs;
    lines.push(`         its primitives alone, same run: the floor's HPKE open + ack signature ${fmtMs(floor.recipientProcMs)} ms + the control message's signature check ${fmtMs(floor.controlCheckMs)} ms = ${fmtMs(least)} ms (${fmtRatio(least, java.recipientProcMs / 3)} of the limit); ours ${fmtRatio(ours.recipientProcMs, least)} of them`);
  }
  lines.push(check('bytes ≤ 30,000', ours?.bytes, 30_000, 'B', 'limit'));
  lines.push(check('application message bytes ≤ 128', msg?.bytes, 128, 'B', 'limit'));
  lines.push(check('n=1024 senderMs ≤ 1.2 × floor(1024)', big?.senderMs, bigFloor ? bigFloor.senderMs * 1.2 : undefined, 'ms', '1.2 × floor'));
  if (big && bigFloor?.peerKeysMs !== undefined) lines.push(secondKeyPairLine(big.senderMs, bigFloor.senderMs, bigFloor.peerKeysMs));
  if (ours && big) {
    // Linear is 8× from n=128 to n=1024; issue 13 allows 9× for the sender and for one recipient.
    for (const [what, from, to] of [['senderMs', ours.senderMs, big.senderMs], ['recipientMs', ours.recipientMs, big.recipientMs]] as const) {
      const growth = to / from;
      lines.push(`  [${growth <= MAX_GROWTH ? ' met' : 'MISS'}] cost linear in n: ${what} grows ${growth.toFixed(2)}× from n=128 to n=1024 (linear: 8×; target ≤ ${MAX_GROWTH}×)`);
    }
  }
  return lines;
}
