import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('..', import.meta.url).pathname;

interface Step {
  id: string;
  args: string[];
}

/** The deploy step's `--name=value` flags. */
function deployFlags(): Map<string, string> {
  const build = parse(fs.readFileSync(`${root}cloudbuild.yaml`, 'utf8')) as { steps: Step[] };
  const deploy = build.steps.find((s) => s.id === 'deploy');
  const flags = new Map<string, string>();
  for (const arg of deploy?.args ?? []) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (match) flags.set(match[1], match[2] ?? '');
  }
  return flags;
}

/** `httpGet.path=/x,periodSeconds=5` as its fields. */
function probe(flags: Map<string, string>, name: string): Record<string, string> {
  const value = flags.get(name);
  expect(value, `--${name}`).toBeDefined();
  return Object.fromEntries((value ?? '').split(',').map((kv) => kv.split('=') as [string, string]));
}

describe('the Cloud Run deploy in cloudbuild.yaml', () => {
  const flags = deployFlags();

  it('sends traffic once /health/ready answers, with time for a cold start', () => {
    const startup = probe(flags, 'startup-probe');
    expect(startup['httpGet.path']).toBe('/health/ready');
    expect(startup['httpGet.port']).toBe(flags.get('port'));
    const period = Number(startup.periodSeconds);
    const window = period * Number(startup.failureThreshold);
    // A first start runs the migrations and creates the central tables; one that hangs is still
    // replaced within minutes.
    expect(window).toBeGreaterThanOrEqual(120);
    expect(window).toBeLessThanOrEqual(240);
    // Longer than a readiness check may take (HEALTH_CHECK_TIMEOUT_MS, 3 s by default), so a
    // slow check answers its 503; never longer than the period (Cloud Run refuses it).
    expect(Number(startup.timeoutSeconds)).toBeGreaterThan(3);
    expect(Number(startup.timeoutSeconds)).toBeLessThanOrEqual(period);
  });

  it('restarts an instance whose /health/live stops answering', () => {
    const liveness = probe(flags, 'liveness-probe');
    expect(liveness['httpGet.path']).toBe('/health/live');
    expect(liveness['httpGet.port']).toBe(flags.get('port'));
    expect(Number(liveness.timeoutSeconds)).toBeLessThanOrEqual(Number(liveness.periodSeconds));
  });
});
