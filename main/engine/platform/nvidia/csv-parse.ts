import { busiest, parseSmiNumber, parseSmiText } from './smi-values.js';

/**
 * Parsers for `nvidia-smi --query-gpu=...` and `--query-compute-apps=...` CSV output, in every
 * shape found in the captures: with or without the header line, with or without units
 * (`--format=csv,noheader,nounits` or plain `csv`), header names with units (`memory.used [MiB]`).
 */

/** The fields the collector asks for, richest first: older drivers reject jpeg/ofa, or even encoder/decoder. */
export const QUERY_GPU_FIELD_SETS: readonly (readonly string[])[] = [
  [
    'index',
    'uuid',
    'name',
    'memory.total',
    'memory.used',
    'utilization.gpu',
    'utilization.encoder',
    'utilization.decoder',
    'utilization.jpeg',
    'utilization.ofa',
  ],
  [
    'index',
    'uuid',
    'name',
    'memory.total',
    'memory.used',
    'utilization.gpu',
    'utilization.encoder',
    'utilization.decoder',
  ],
  ['index', 'uuid', 'name', 'memory.total', 'memory.used', 'utilization.gpu'],
];

export const QUERY_COMPUTE_APPS_FIELDS: readonly string[] = ['pid', 'used_memory', 'gpu_uuid'];

/** Free-text columns: the only ones whose value may itself contain a comma. */
const FREE_TEXT_FIELDS = new Set(['process_name', 'name', 'gpu_name']);

/** `memory.used [MiB]` -> `memory.used`. */
export function normalizeField(header: string): string {
  return header.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
}

export interface SmiCsvTable {
  fields: string[];
  rows: Record<string, string>[];
  /** Lines whose cell count did not match the fields. */
  bad: string[];
}

/**
 * Splits CSV output into records keyed by field. nvidia-smi does not quote cells; it separates
 * them with ", ". A surplus of cells is folded back into the one free-text column, if any
 * (a process path with a comma in it); otherwise the line is reported as bad.
 * Without `fields`, the first non-blank line is the header.
 */
export function parseSmiCsv(text: string, fields?: readonly string[]): SmiCsvTable {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const nonBlank = lines.filter((l) => l.trim() !== '');
  let names: string[];
  let body: string[];
  if (fields) {
    names = [...fields];
    body = nonBlank;
  } else {
    names = (nonBlank[0] ?? '')
      .split(',')
      .map(normalizeField)
      .filter((f) => f !== '');
    body = nonBlank.slice(1);
  }
  const rows: Record<string, string>[] = [];
  const bad: string[] = [];
  const freeIndex = names.findIndex((n) => FREE_TEXT_FIELDS.has(n));
  for (const line of body) {
    let cells = line.split(',').map((c) => c.trim());
    if (cells.length > names.length && freeIndex >= 0) {
      const surplus = cells.length - names.length;
      const merged = cells.slice(freeIndex, freeIndex + surplus + 1).join(', ');
      cells = [...cells.slice(0, freeIndex), merged, ...cells.slice(freeIndex + surplus + 1)];
    }
    if (cells.length !== names.length || names.length === 0) {
      bad.push(line);
      continue;
    }
    const rec: Record<string, string> = {};
    names.forEach((n, i) => {
      rec[n] = cells[i] ?? '';
    });
    rows.push(rec);
  }
  return { fields: names, rows, bad };
}

/** Digits that fit an exact integer: a 30-digit "pid" or index is garbage, not a number to round. */
function isIntegerText(text: string): boolean {
  return /^\d+$/.test(text) && Number.isSafeInteger(Number(text));
}

/** One GPU as `--query-gpu` reports it. Numbers are null where the driver printed a placeholder. */
export interface SmiGpuRow {
  index: number | null;
  uuid: string | null;
  name: string | null;
  memoryTotalMiB: number | null;
  memoryUsedMiB: number | null;
  utilGpu: number | null;
  utilEncoder: number | null;
  utilDecoder: number | null;
  utilJpeg: number | null;
  utilOfa: number | null;
  /** Busiest engine: max of gpu/encoder/decoder/jpeg/ofa where known. */
  util: number | null;
}

function pick(rec: Record<string, string>, ...names: string[]): string | undefined {
  for (const n of names) if (n in rec) return rec[n];
  return undefined;
}

function num(rec: Record<string, string>, ...names: string[]): number | null {
  return parseSmiNumber(pick(rec, ...names)) ?? null;
}

/** Reads a GPU record from any of the query shapes (field aliases: `name`/`gpu_name`, `uuid`/`gpu_uuid`). */
export function gpuRowFromRecord(rec: Record<string, string>): SmiGpuRow {
  const indexRaw = pick(rec, 'index');
  const index = indexRaw !== undefined && isIntegerText(indexRaw.trim()) ? Number(indexRaw) : null;
  const row: SmiGpuRow = {
    index,
    uuid: parseSmiText(pick(rec, 'uuid', 'gpu_uuid')),
    name: parseSmiText(pick(rec, 'name', 'gpu_name')),
    memoryTotalMiB: num(rec, 'memory.total'),
    memoryUsedMiB: num(rec, 'memory.used'),
    utilGpu: num(rec, 'utilization.gpu'),
    utilEncoder: num(rec, 'utilization.encoder'),
    utilDecoder: num(rec, 'utilization.decoder'),
    utilJpeg: num(rec, 'utilization.jpeg'),
    utilOfa: num(rec, 'utilization.ofa'),
    util: null,
  };
  row.util = busiest([row.utilGpu, row.utilEncoder, row.utilDecoder, row.utilJpeg, row.utilOfa]);
  return row;
}

/**
 * One line of the `--query-gpu=<fields> --format=csv,noheader,nounits -lms N` loop.
 * Returns null for anything that is not a GPU row of exactly these fields (error text, a
 * "not a valid field" message, garbage): the index must be an integer and every numeric
 * field a number or a placeholder.
 */
export function parseQueryGpuLine(line: string, fields: readonly string[]): SmiGpuRow | null {
  if (line.trim() === '') return null;
  const { rows } = parseSmiCsv(line, fields);
  const rec = rows[0];
  if (!rec) return null;
  for (const f of fields) {
    if (f === 'index' || f === 'uuid' || f === 'name' || f === 'gpu_uuid' || f === 'gpu_name') continue;
    if (parseSmiNumber(rec[f]) === undefined) return null;
  }
  const row = gpuRowFromRecord(rec);
  return fields.includes('index') && row.index === null ? null : row;
}

export interface SmiComputeApp {
  pid: number;
  gpuUuid: string | null;
  /** null on Windows/WDDM (`[N/A]`) and where the driver cannot tell. */
  usedMemoryMiB: number | null;
  name: string | null;
}

export interface ComputeAppsResult {
  apps: SmiComputeApp[];
  /** Rows without a usable pid (a query that did not ask for one, a malformed line). */
  skipped: number;
}

/**
 * `--query-compute-apps` output. Accepts `used_memory` or `used_gpu_memory` (nvidia-smi treats
 * them as one field and prints the latter in headers), values with or without ` MiB`.
 */
export function parseComputeApps(text: string, fields?: readonly string[]): ComputeAppsResult {
  const table = parseSmiCsv(text, fields);
  const apps: SmiComputeApp[] = [];
  let skipped = table.bad.length;
  for (const rec of table.rows) {
    const pidRaw = pick(rec, 'pid')?.trim();
    if (!pidRaw || !isIntegerText(pidRaw)) {
      skipped++;
      continue;
    }
    apps.push({
      pid: Number(pidRaw),
      gpuUuid: parseSmiText(pick(rec, 'gpu_uuid', 'uuid')),
      usedMemoryMiB: num(rec, 'used_memory', 'used_gpu_memory'),
      name: parseSmiText(pick(rec, 'process_name', 'name')),
    });
  }
  return { apps, skipped };
}
