import { SchemaRegistry } from '#warehouse';
import { CostImportError, CostImportErrorCode } from './cost-import.errors.js';
import { COST_TABLE, mandatoryColumns, planColumns } from './focus-columns.js';

const schema = SchemaRegistry.load().orgTable(COST_TABLE);
const MANDATORY_13 = [
  'BillingAccountId',
  'BilledCost',
  'BillingCurrency',
  'BillingPeriodStart',
  'BillingPeriodEnd',
  'ChargeCategory',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'ContractedCost',
  'EffectiveCost',
  'HostProviderName',
  'InvoiceIssuerName',
  'ListCost',
  'ServiceCategory',
  'ServiceName',
  'ServiceProviderName',
];
const names = (plan: ReturnType<typeof planColumns>) => plan.fed.map((c) => c.name);

describe('FOCUS column plan', () => {
  it('requires the 16 mandatory FOCUS columns and none of the lineage columns', () => {
    expect(mandatoryColumns(schema).sort()).toEqual([...MANDATORY_13].sort());
  });

  it('maps FOCUS 1.2 ProviderName and PublisherName to their 1.3 successors and keeps them', () => {
    const header = MANDATORY_13.filter((c) => c !== 'ServiceProviderName' && c !== 'HostProviderName');
    const plan = planColumns([...header, 'ProviderName', 'PublisherName'], schema);

    expect(plan.focusVersion).toBe('1.2');
    expect(plan.missing).toEqual([]);
    expect(plan.mappings).toEqual([
      { from: 'ProviderName', to: 'ServiceProviderName' },
      { from: 'PublisherName', to: 'HostProviderName' },
    ]);
    expect(names(plan)).toEqual(
      expect.arrayContaining(['ProviderName', 'ServiceProviderName', 'HostProviderName']),
    );
    const provider = plan.fed.find((c) => c.name === 'ServiceProviderName')!;
    expect(provider.source).toBe(header.length);
  });

  it('prefers a 1.3 column over the mapping when the file has both', () => {
    const plan = planColumns([...MANDATORY_13, 'ProviderName'], schema);

    expect(plan.focusVersion).toBe('1.3');
    expect(plan.mappings).toEqual([]);
    expect(plan.fed.find((c) => c.name === 'ServiceProviderName')!.source).toBe(
      MANDATORY_13.indexOf('ServiceProviderName'),
    );
  });

  it('matches names case-insensitively, strips a BOM, and ignores unknown and lineage columns', () => {
    const others = MANDATORY_13.filter((c) => c !== 'BilledCost').map((c) => c.toUpperCase());
    const header = ['\uFEFFbilledcost', ...others, 'x_Operation', 'x_run_id'];
    const plan = planColumns(header, schema);

    expect(plan.missing).toEqual([]);
    expect(plan.fed[0]).toMatchObject({ name: 'BilledCost', type: 'NUMERIC', required: true, source: 0 });
    expect(plan.ignored).toEqual(['x_Operation', 'x_run_id']);
  });

  it('refuses a header naming a column twice, exactly or but for case, and names the columns', () => {
    const refusal = (header: string[]) => {
      try {
        planColumns(header, schema);
      } catch (error) {
        return error;
      }
      return null;
    };

    const byCase = refusal(['billedcost', ...MANDATORY_13]);
    expect(byCase).toBeInstanceOf(CostImportError);
    expect(byCase).toMatchObject({
      code: CostImportErrorCode.DuplicateColumns,
      extra: { duplicate_columns: [['billedcost', 'BilledCost']] },
    });
    expect((byCase as CostImportError).detail).toContain('"billedcost" and "BilledCost"');
    expect(refusal([...MANDATORY_13, '\uFEFFx_Operation', ' x_operation '])).toMatchObject({
      extra: { duplicate_columns: [['x_Operation', 'x_operation']] },
    });
  });

  it('does not take blank header cells for duplicates', () => {
    const plan = planColumns([...MANDATORY_13, '', ' '], schema);

    expect(plan.missing).toEqual([]);
    expect(plan.ignored).toEqual(['', '']);
  });

  it('lists the mandatory columns a file lacks', () => {
    const plan = planColumns(
      MANDATORY_13.filter((c) => c !== 'BilledCost' && c !== 'ChargePeriodEnd'),
      schema,
    );

    expect(plan.missing).toEqual(['BilledCost', 'ChargePeriodEnd']);
  });
});
