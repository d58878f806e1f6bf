import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getMetadataStorage } from 'class-validator';
import { EnvSchema } from './env.schema.js';
import { MAX_TIMER_MS } from './env-limits.js';

// The README's "Configuration" table is what operators read: each of its rows is derived here from
// EnvSchema (names, defaults, allowed words), so a variable added, renamed or given another default
// fails this spec until the table says so.

const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../README.md');
const schema = new EnvSchema() as unknown as Record<string, unknown>;
const variables = Object.keys(schema);

interface Row {
  names: string[];
  defaults: string[];
  line: string;
}

/** The table's rows; `A` / `_B_` / `_C_` names the variables A and A with `_B_` or `_C_` in place of its own part. */
function tableRows(): Row[] {
  const section = fs.readFileSync(README, 'utf8').split('\n## Configuration\n')[1].split('\n## ')[0];
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((line) => {
      const [nameCell, defaultCell] = line.slice(2).split(' | ');
      const tokens = [...nameCell.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]);
      const names = tokens.map((t) => {
        if (!t.startsWith('_')) return t;
        const family = tokens[0].split('_')[0];
        const matches = variables.filter((v) => v.startsWith(family) && v.includes(t) && v !== tokens[0]);
        expect(matches, `${t} in "${nameCell}" names one variable`).toHaveLength(1);
        return matches[0];
      });
      const separator = defaultCell.includes(' / ') ? ' / ' : ', ';
      // One default for several variables (`—`) is each one's.
      const parts = defaultCell.split(separator);
      const defaults = names.length > 1 && parts.length > 1 ? parts : names.map(() => defaultCell);
      return { names, defaults, line };
    });
}

const UNITS: Record<string, number> = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** The default a cell states: its first `literal`, or an amount in KiB/MiB/GiB; undefined for prose. */
function statedDefault(cell: string): string | undefined {
  const literal = /^`([^`]*)`/.exec(cell.trim());
  if (literal) return literal[1];
  const size = /^(\d+) (KiB|MiB|GiB)$/.exec(cell.trim());
  return size ? String(Number(size[1]) * UNITS[size[2]]) : undefined;
}

describe('README configuration table', () => {
  const rows = tableRows();

  it('has one row for every variable EnvSchema reads, and none for a variable it does not', () => {
    const documented = rows.flatMap((r) => r.names);
    expect([...documented].sort()).toEqual([...variables].sort());
  });

  it("states each variable's default as EnvSchema has it", () => {
    for (const { names, defaults, line } of rows) {
      expect(defaults, line).toHaveLength(names.length);
      names.forEach((name, i) => {
        const actual = schema[name];
        if (actual === undefined) return; // derived at start (a path under DATA_DIR) or unset: prose
        expect(statedDefault(defaults[i]), `${name}'s default in: ${line}`).toBe(String(actual));
      });
    }
  });

  it('lists every value a one-of-a-list variable takes', () => {
    const oneOf = getMetadataStorage()
      .getTargetValidationMetadatas(EnvSchema, '', true, false)
      .filter((m) => m.name === 'isIn');
    expect(oneOf.length).toBeGreaterThan(0);
    for (const m of oneOf) {
      const row = rows.find((r) => r.names.includes(m.propertyName));
      for (const value of m.constraints[0] as string[])
        expect(row?.line, `${m.propertyName}=${value}`).toContain(`\`${value}\``);
    }
  });

  // The preamble states the common bounds (a number is at least 1, a `_MS` at most MAX_TIMER_MS);
  // any other is the row's to state, or a start refuses a value the table gave no reason to doubt.
  it('states every other bound a number setting is held to', () => {
    const bounds = getMetadataStorage()
      .getTargetValidationMetadatas(EnvSchema, '', true, false)
      .filter((m) => m.name === 'min' || m.name === 'max')
      .map((m) => ({ name: m.propertyName, kind: m.name, bound: m.constraints[0] as number }))
      .filter(
        ({ kind, bound }) => !(kind === 'min' && bound === 1) && !(kind === 'max' && bound === MAX_TIMER_MS),
      );
    expect(bounds.length).toBeGreaterThan(0);
    const unstated = bounds.filter(({ name, bound }) => {
      const row = rows.find((r) => r.names.includes(name));
      const meaning = row?.line.split(' | ').slice(2).join(' | ') ?? '';
      // As digits, with or without thousands separators, not part of a longer number.
      const spelled = `(?:${bound}|${bound.toLocaleString('en-US')})`;
      const stated = new RegExp(`(?<![\\d,.])${spelled}(?!\\d|[,.]\\d)`);
      return !stated.test(meaning);
    });
    expect(unstated.map(({ name, kind, bound }) => `${name} ${kind} ${bound}`)).toEqual([]);
  });
});
