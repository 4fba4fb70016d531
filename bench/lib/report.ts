// The printed report and the JSON file of a run.
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { ScenarioResult } from '../scenarios/context.ts';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  openFilesLimit: number | null;
  loadAverage1m: number;
  /** CPU in use (all cores, by anything) during the second before the run started */
  busyBeforePct: number;
}

export interface RunReport {
  startedAt: string;
  mode: 'quick' | 'full';
  machine: MachineInfo;
  /** SQLite always; PostgreSQL for list changes when --store was given */
  stores: string[];
  profiled: boolean;
  scenarios: ScenarioResult[];
  failures: { id: string; error: string }[];
  durationS: number;
}

/** Share of all cores' time that was not idle over `ms` (from /proc/stat; 0 where there is none). */
export async function busyPercent(ms = 1000): Promise<number> {
  const sample = (): number[] | undefined => {
    try {
      return readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    } catch {
      return undefined;
    }
  };
  const a = sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = sample();
  if (!a || !b) return 0;
  const delta = b.map((v, i) => v - (a[i] ?? 0));
  const total = delta.reduce((x, y) => x + y, 0);
  const idle = (delta[3] ?? 0) + (delta[4] ?? 0);
  return total > 0 ? ((total - idle) / total) * 100 : 0;
}

export function machineInfo(busyBeforePct: number): MachineInfo {
  return {
    busyBeforePct,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    openFilesLimit: openFilesLimit(),
    loadAverage1m: loadavg()[0] ?? 0,
  };
}

function openFilesLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined ? null : Number(soft);
  } catch {
    return null;
  }
}

/** 3 significant digits, at most 1 decimal for larger numbers, thousands separated by a thin space. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const [int, frac] = value.toFixed(digits).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

export function formatScenario(index: number, s: ScenarioResult): string {
  const out = [`${index}. ${s.title}`, `   ${s.setup}`];
  const label = (text: string): string => text.padEnd(26);
  const cell = (text: string): string => text.padStart(14);
  out.push(`   ${label('')}${cell('msnd')}${cell('raw baseline')}${cell('msnd/raw')}`);
  for (const f of s.figures) {
    const ratio = f.baseline === 0 ? NaN : f.msnd / f.baseline;
    const name = f.unit === '/s' ? f.label : `${f.label} (${f.unit})`;
    out.push(`   ${label(name)}${cell(formatNumber(f.msnd))}${cell(formatNumber(f.baseline))}${cell(`${formatNumber(ratio)}×`)}`);
  }
  out.push(`   ${s.ratio.label}: ${formatNumber(s.ratio.value)}×`);
  out.push(`   target: ${s.target.text}${s.target.met === undefined ? '' : ` → ${s.target.met ? 'MET' : 'MISSED'}`}`);
  for (const note of s.notes) out.push(`   note: ${note}`);
  return out.join('\n');
}

export function formatReport(report: RunReport): string {
  const m = report.machine;
  const head = [
    `msnd benchmark — ${report.mode} run of ${report.startedAt} (${formatNumber(report.durationS)} s)`,
    `machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}, open files ${m.openFilesLimit ?? '?'}; at start: CPU ${m.busyBeforePct.toFixed(0)}% busy, load average ${m.loadAverage1m.toFixed(2)}`,
    `stores: ${report.stores.join(', ')}${report.profiled ? '; msnd ran under --cpu-prof (slower: figures are for the profile, not for comparison)' : ''}`,
  ];
  if (m.busyBeforePct > 20) head.push('warning: the machine was busy when the run started; figures may be low and noisy');
  const body = report.scenarios.map((s, i) => formatScenario(i + 1, s));
  const summary = ['summary:'];
  for (const s of report.scenarios) {
    summary.push(
      `   ${s.target.met === undefined ? 'INFO  ' : s.target.met ? 'MET   ' : 'MISSED'} ${s.id.padEnd(16)} ${s.target.text} (${formatNumber(s.ratio.value)}×)`,
    );
  }
  for (const f of report.failures) summary.push(`   FAILED ${f.id.padEnd(16)} ${f.error.split('\n')[0]}`);
  return [head.join('\n'), ...body, summary.join('\n')].join('\n\n');
}
