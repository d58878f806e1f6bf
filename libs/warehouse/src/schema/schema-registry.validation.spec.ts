import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SchemaRegistry } from './schema-registry.js';
import { SchemaValidationError } from './schema-validation-error.js';

type Json = Record<string, unknown>;

const f = (name: string, type: string, mode = 'NULLABLE'): Json => ({ name, type, mode });

function aTable(name: string, overrides: Json = {}): Json {
  return {
    name,
    description: 'test table',
    timePartitioning: { type: 'DAY', field: 'created_at' },
    clustering: ['org_slug'],
    fields: [
      f('org_slug', 'STRING', 'REQUIRED'),
      f('amount', 'FLOAT'),
      f('created_at', 'TIMESTAMP', 'REQUIRED'),
    ],
    ...overrides,
  };
}

const VALID_VIEW = "SELECT org_slug FROM `{central}.events` WHERE org_slug = '{org_slug}'";

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-registry-'));
  fs.mkdirSync(path.join(dir, 'central'));
  fs.mkdirSync(path.join(dir, 'org', 'views'), { recursive: true });
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(rel: string, content: Json | string): void {
  const text = typeof content === 'string' ? content : JSON.stringify(content, null, 2);
  fs.writeFileSync(path.join(dir, rel), text);
}

function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (err) {
    if (err instanceof SchemaValidationError) return err.problems;
    throw err;
  }
  throw new Error('expected SchemaRegistry.load to fail');
}

const load = () => SchemaRegistry.load(dir);

describe('SchemaRegistry.load validation', () => {
  it('loads a directory whose tables and views are all valid', () => {
    write('central/events.json', aTable('events'));
    write('org/costs.json', aTable('costs'));
    write('org/views/x_events.sql', `-- Events of the org.\n${VALID_VIEW}\n`);
    const registry = load();
    expect(registry.centralTable('events').fields.map((x) => x.name)).toEqual([
      'org_slug',
      'amount',
      'created_at',
    ]);
    expect(registry.orgTable('costs').timePartitioning).toEqual({ type: 'DAY', field: 'created_at' });
    expect(registry.orgView('x_events')).toEqual({
      name: 'x_events',
      sql: VALID_VIEW,
      description: 'Events of the org.',
    });
  });

  it('reports an unknown type and an unknown mode', () => {
    write(
      'central/events.json',
      aTable('events', { fields: [f('org_slug', 'VARCHAR'), f('n', 'INTEGER', 'OPTIONAL')] }),
    );
    write('org/costs.json', aTable('costs', { timePartitioning: undefined, clustering: undefined }));
    expect(problemsOf(load)).toEqual([
      'central/events.json: field "org_slug": unknown type "VARCHAR"',
      'central/events.json: field "n": unknown mode "OPTIONAL"',
      'central/events.json: timePartitioning: partition field "created_at" is not a top-level column',
    ]);
  });

  it('reports duplicate field names, also when they differ only in case', () => {
    const fields = [
      f('org_slug', 'STRING'),
      f('org_slug', 'STRING'),
      f('Amount', 'FLOAT'),
      f('amount', 'FLOAT'),
    ];
    write('central/events.json', { name: 'events', fields });
    write('org/costs.json', aTable('costs'));
    expect(problemsOf(load)).toEqual([
      'central/events.json: field "org_slug": duplicate field name "org_slug"',
      'central/events.json: field "amount": duplicate field name "amount" (same as "Amount"; names are case-insensitive)',
    ]);
  });

  it('reports a partition field that is missing or not a date/time column', () => {
    write(
      'central/events.json',
      aTable('events', { timePartitioning: { type: 'DAY', field: 'usage_date' } }),
    );
    write('org/costs.json', aTable('costs', { timePartitioning: { type: 'DAY', field: 'amount' } }));
    expect(problemsOf(load)).toEqual([
      'central/events.json: timePartitioning: partition field "usage_date" is not a top-level column',
      'org/costs.json: timePartitioning: partition field "amount" is FLOAT; it must be DATE, TIMESTAMP or DATETIME',
    ]);
  });

  it('reports more than four clustering fields and a clustering field that is not a top-level column', () => {
    const fields = ['a', 'b', 'c', 'd', 'e'].map((n) => f(n, 'STRING'));
    const nested = { name: 'rec', type: 'RECORD', mode: 'NULLABLE', fields: [f('inner', 'STRING')] };
    write('central/events.json', { name: 'events', fields, clustering: ['a', 'b', 'c', 'd', 'e'] });
    write('org/costs.json', {
      name: 'costs',
      fields: [f('a', 'STRING'), nested],
      clustering: ['a', 'rec.inner'],
    });
    expect(problemsOf(load)).toEqual([
      'central/events.json: clustering: 5 fields; BigQuery allows at most 4',
      'org/costs.json: clustering: "rec.inner" is not a top-level column',
    ]);
  });

  it('reports clustering on a column type BigQuery cannot cluster on', () => {
    write('central/events.json', aTable('events', { clustering: ['amount'] }));
    write('org/costs.json', aTable('costs'));
    expect(problemsOf(load)).toEqual([
      'central/events.json: clustering: column "amount" is FLOAT, which BigQuery cannot cluster on',
    ]);
  });

  it('reports a file whose name differs from the table name inside it', () => {
    write('central/events.json', aTable('event'));
    write('org/costs.json', aTable('costs'));
    expect(problemsOf(load)).toEqual([
      'central/events.json: file name "events" does not match "name": "event"',
    ]);
  });

  it('reports misspelt keys instead of ignoring them', () => {
    write('central/events.json', { ...aTable('events'), partitioning: { field: 'created_at' } });
    write('org/costs.json', aTable('costs'));
    expect(problemsOf(load)).toEqual(['central/events.json: unknown key "partitioning"']);
  });

  it('reports broken JSON and missing directories', () => {
    fs.rmSync(path.join(dir, 'org'), { recursive: true });
    write('central/events.json', '{ "name": "events", ');
    const problems = problemsOf(load);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^central\/events\.json: invalid JSON: /);
    expect(problems[1]).toBe('org/: directory not found');
  });

  it('reports view bodies with unknown placeholders, a trailing semicolon or an unfiltered central read', () => {
    write('central/events.json', aTable('events'));
    write('org/costs.json', aTable('costs'));
    write('org/views/x_typo.sql', "SELECT 1 FROM `{project}.events` WHERE org_slug = '{org_slug}'");
    write('org/views/x_semicolon.sql', `${VALID_VIEW};\n`);
    write('org/views/x_leak.sql', 'SELECT org_slug FROM `{central}.events`');
    expect(problemsOf(load)).toEqual([
      `org/views/x_leak.sql: reads {central} tables without filtering on '{org_slug}'`,
      'org/views/x_semicolon.sql: view body must not end with ";" (it is embedded in CREATE VIEW)',
      'org/views/x_typo.sql: unknown placeholder "{project}"',
    ]);
  });

  it('throws one error that lists every problem of every file', () => {
    write(
      'central/events.json',
      aTable('events', { fields: [f('org_slug', 'TEXT')], clustering: undefined }),
    );
    write('org/costs.json', aTable('cost'));
    write('org/views/x_leak.sql', 'SELECT 1 FROM `{central}.events`');
    let error: unknown;
    try {
      load();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SchemaValidationError);
    const { message, problems } = error as SchemaValidationError;
    expect(problems).toHaveLength(4);
    expect(message).toContain(`Invalid warehouse schemas in ${dir} (4 problems):`);
    for (const problem of problems) expect(message).toContain(`- ${problem}`);
  });
});
