import { bigQueryAppForAll } from '#test/bigquery-app';
import { anOrgSlug } from '#test/org-factory';
import { expectProblem } from '#test/org-onboarding';
import { rootHeaders } from '#test/test-app';

/**
 * The app on the BigQuery driver, against the fake BigQuery (its queries answer no rows): what
 * BigQuery refuses that the embedded warehouse, which has no locations, never could.
 */
describe('organizations on the BigQuery driver', () => {
  const bq = bigQueryAppForAll();

  const onboard = (org: string, location: string | null) =>
    bq.t.app.inject({
      method: 'POST',
      url: '/api/v1/organizations/onboard',
      headers: rootHeaders,
      payload: {
        org_slug: org,
        company_name: 'Far Co',
        admin_email: 'a@far.example',
        dataset_location: location,
      },
    });

  it('refuses a dataset_location other than the central dataset’s before writing anything', async () => {
    // An EU dataset could hold neither the org's views (they read the US central dataset) nor
    // the results of a job run in the US: the onboarding failed at its dataset step with a 500.
    const org = anOrgSlug('far');
    const res = await onboard(org, 'EU');
    expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(res.json().errors).toEqual([
      {
        field: 'dataset_location',
        message:
          "must be US, where the central dataset 'organizations' is: the organization's views read it, " +
          "and BigQuery reads a query's tables in one location",
      },
    ]);
    const writes = bq.fake.requests.filter(
      (r) => r.method !== 'GET' && (r.path.includes(org) || JSON.stringify(r.body ?? '').includes(org)),
    );
    expect(writes).toEqual([]);
  });

  it('onboards an org in the central dataset’s location, views and all', async () => {
    const org = anOrgSlug('near');
    const res = await onboard(org, 'US');
    expect(res.statusCode, res.body).toBe(200);
    expect(bq.fake.table(`${org}_local`, 'x_org_hierarchy')?.type).toBe('VIEW');
  });

  it('takes a null dataset_location as none sent: the server location', async () => {
    // It reached the location check as null, whose comparison threw: a 500 for a field the
    // onboarding reads as optional everywhere else.
    const org = anOrgSlug('nul');
    const res = await onboard(org, null);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ dataset_location: 'US', dataset_created: true });
    expect(bq.fake.table(`${org}_local`, 'x_org_hierarchy')?.type).toBe('VIEW');
  });
});
