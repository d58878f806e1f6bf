import { randomUUID } from 'node:crypto';
import type { RecordedRequest } from './bigquery-server.js';
import { fail, type FakeField, type Json, legacyFields, notFound } from './bigquery-wire.js';
import { checkTableResource } from './bigquery-table-rules.js';

/** What `route` returns for a request that is not about datasets or tables. */
export const NOT_ROUTED = Symbol('not routed');

interface Dataset {
  resource: Json;
  tables: Map<string, Json>;
}

/**
 * The fake BigQuery's datasets and tables, held in memory as the resources the REST API returns
 * (tables by their legacy column type names, as BigQuery reports them), with their routes.
 */
export class FakeCatalog {
  private readonly datasets = new Map<string, Dataset>();

  constructor(
    private readonly defaultLocation: string,
    /** Tables per page of tables.list. */
    private readonly pageSize: number,
  ) {}

  /** The dataset, or the fake's 404. */
  get(id: string): Dataset {
    return this.datasets.get(id) ?? notFound(`Dataset ${id}`);
  }

  has(id: string): boolean {
    return this.datasets.has(id);
  }

  /** A table's stored resource, or undefined. */
  table(ds: string, id: string): Json | undefined {
    return this.datasets.get(ds)?.tables.get(id);
  }

  tableResource(projectId: string, ds: string, id: string, body: Json, type: string): Json {
    return {
      ...body,
      kind: 'bigquery#table',
      id: `${projectId}:${ds}.${id}`,
      tableReference: { projectId, datasetId: ds, tableId: id },
      schema: { fields: legacyFields((body.schema as { fields?: FakeField[] } | undefined)?.fields) },
      type,
      etag: randomUUID(),
      location: this.get(ds).resource.location,
      creationTime: String(Date.now()),
    };
  }

  putTable(projectId: string, ds: string, body: Json): Json {
    const ref = body.tableReference as { tableId: string };
    const tables = this.get(ds).tables;
    if (tables.has(ref.tableId)) fail(409, 'duplicate', `Already Exists: Table ${ds}.${ref.tableId}`);
    if (!body.view) checkTableResource(body);
    const resource = this.tableResource(projectId, ds, ref.tableId, body, body.view ? 'VIEW' : 'TABLE');
    tables.set(ref.tableId, resource);
    return resource;
  }

  putDataset(projectId: string, body: Json): Json {
    const id = (body.datasetReference as { datasetId: string }).datasetId;
    if (this.datasets.has(id)) fail(409, 'duplicate', `Already Exists: Dataset ${projectId}:${id}`);
    const resource = {
      ...body,
      kind: 'bigquery#dataset',
      id: `${projectId}:${id}`,
      datasetReference: { projectId, datasetId: id },
      location: body.location ?? this.defaultLocation,
      etag: randomUUID(),
    };
    this.datasets.set(id, { resource, tables: new Map() });
    return resource;
  }

  /** datasets.* and tables.* calls: their answer (undefined: 204), or NOT_ROUTED. */
  route(req: RecordedRequest, rest: string, projectId: string): unknown {
    const { method, query: q } = req;
    const body = (req.body ?? {}) as Json;
    let m: RegExpExecArray | null;
    if (rest === 'datasets') {
      if (method === 'GET')
        return { kind: 'bigquery#datasetList', datasets: [...this.datasets.values()].map((d) => d.resource) };
      return this.putDataset(projectId, body);
    }
    if ((m = /^datasets\/(\w+)$/.exec(rest))) {
      const ds = this.get(m[1]);
      if (method === 'GET') return ds.resource;
      if (ds.tables.size > 0 && q.deleteContents !== 'true')
        fail(400, 'resourceInUse', `Dataset ${m[1]} is still in use`);
      this.datasets.delete(m[1]);
      return undefined;
    }
    if ((m = /^datasets\/(\w+)\/tables$/.exec(rest))) {
      if (method === 'POST') return this.putTable(projectId, m[1], body);
      const all = [...this.get(m[1]).tables.values()];
      const start = q.pageToken ? Number(q.pageToken.slice(5)) : 0;
      const end = Math.min(all.length, start + Number(q.maxResults ?? this.pageSize));
      const page = all
        .slice(start, end)
        .map(({ kind, id, tableReference, type }) => ({ kind, id, tableReference, type }));
      return {
        kind: 'bigquery#tableList',
        tables: page,
        totalItems: all.length,
        ...(end < all.length ? { nextPageToken: `page-${end}` } : {}),
      };
    }
    if ((m = /^datasets\/(\w+)\/tables\/(\w+)$/.exec(rest))) {
      const tables = this.get(m[1]).tables;
      const table = tables.get(m[2]) ?? notFound(`Table ${projectId}:${m[1]}.${m[2]}`);
      if (method === 'GET') return table;
      if (method === 'DELETE') return void tables.delete(m[2]);
      const ifMatch = req.headers['if-match'];
      if (ifMatch && ifMatch !== table.etag) fail(412, 'conditionNotMet', 'Precondition check failed.');
      const schema = body.schema
        ? { schema: { fields: legacyFields((body.schema as { fields: FakeField[] }).fields) } }
        : {};
      const updated = { ...(method === 'PUT' ? {} : table), ...body, ...schema, etag: randomUUID() };
      tables.set(m[2], { ...table, ...updated, type: table.type, tableReference: table.tableReference });
      return tables.get(m[2]);
    }
    return NOT_ROUTED;
  }
}
