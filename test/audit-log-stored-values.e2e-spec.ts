import { randomUUID } from 'node:crypto';
import { CENTRAL_DATASET, WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgSlug } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

/**
 * The audit table's values as data-model.md lists them (action LOGIN and LOGOUT, resource type ORG):
 * rows the replaced system wrote into a taken-over central dataset hold them, and an admin must be
 * able to filter on them and read them back as the OpenAPI document describes.
 */
describe('audit log: values of rows the replaced system wrote', () => {
  let t: TestApp;
  let warehouse: Warehouse;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_ADMIN_PER_MINUTE: '10000', RATE_LIMIT_READS_PER_MINUTE: '10000' });
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });
  afterAll(() => t.close());

  const list = (org: string, query: string) =>
    t.app.inject({ method: 'GET', url: `/api/v1/admin/audit-logs/${org}${query}`, headers: rootHeaders });

  const seed = (org: string, rows: { action: string; type: string; at: string }[]) =>
    warehouse.insertRows(
      { dataset: CENTRAL_DATASET, table: 'org_audit_logs' },
      rows.map((r) => ({
        audit_id: randomUUID(),
        org_slug: org,
        action: r.action,
        resource_type: r.type,
        status: 'SUCCESS',
        resource_id: r.at,
        created_at: new Date(r.at),
      })),
    );

  it('filters on LOGIN, LOGOUT and ORG, in any case, like the values this API writes', async () => {
    const org = anOrgSlug('audit');
    await seed(org, [
      { action: 'LOGIN', type: 'USER', at: '2026-04-01T08:00:00Z' },
      { action: 'LOGOUT', type: 'USER', at: '2026-04-01T09:00:00Z' },
      { action: 'UPDATE', type: 'ORG', at: '2026-04-01T10:00:00Z' },
      { action: 'UPDATE', type: 'ORGANIZATION', at: '2026-04-01T11:00:00Z' },
    ]);
    const ids = async (q: string) => {
      const res = await list(org, q);
      expect(res.statusCode).toBe(200);
      return res.json().logs.map((l: { resource_id: string }) => l.resource_id);
    };
    expect(await ids('?action=LOGIN')).toEqual(['2026-04-01T08:00:00Z']);
    expect(await ids('?action=logout')).toEqual(['2026-04-01T09:00:00Z']);
    expect(await ids('?resource_type=ORG')).toEqual(['2026-04-01T10:00:00Z']);
    expect(await ids('?resource_type=organization&action=update')).toEqual(['2026-04-01T11:00:00Z']);
  });

  it('still refuses a value the table never holds, naming the field and the values it takes', async () => {
    const res = await list(anOrgSlug('audit'), '?action=SIGNIN&resource_type=ORGS');
    expect(res.statusCode).toBe(422);
    const errors: { field: string; message: string }[] = res.json().errors;
    expect(errors.map((e) => e.field).sort()).toEqual(['action', 'resource_type']);
    expect(errors.find((e) => e.field === 'action')?.message).toContain('LOGIN');
  });

  it('documents those values for the filters and the entries it answers', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const params: { name: string; schema: { enum?: string[] } }[] =
      doc.paths['/api/v1/admin/audit-logs/{org}'].get.parameters;
    const enumOf = (name: string) => params.find((p) => p.name === name)?.schema.enum;
    expect(enumOf('action')).toEqual(expect.arrayContaining(['ROTATE', 'LOGIN', 'LOGOUT']));
    expect(enumOf('resource_type')).toEqual(expect.arrayContaining(['ORGANIZATION', 'ORG']));
    const entry = doc.components.schemas.AuditLogDto.properties;
    expect(entry.action.enum).toEqual(expect.arrayContaining(['ROTATE', 'LOGIN', 'LOGOUT']));
    expect(entry.resource_type.enum).toEqual(expect.arrayContaining(['ORGANIZATION', 'ORG']));
  });
});
