import { SchemaRegistry } from '#warehouse';
import { COST_TABLE, planColumns } from './focus-columns.js';
import { FocusRowNormalizer } from './focus-row-normalizer.js';

const header = [
  'BillingAccountId',
  'BilledCost',
  'EffectiveCost',
  'ListCost',
  'ContractedCost',
  'BillingCurrency',
  'BillingPeriodStart',
  'BillingPeriodEnd',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'ChargeCategory',
  'ServiceCategory',
  'ServiceName',
  'ServiceProviderName',
  'HostProviderName',
  'InvoiceIssuerName',
  'RegionId',
];
const valid = [
  'acct',
  '10.5',
  '9',
  '12',
  '10.5',
  'USD',
  '2025-03-01T00:00:00Z',
  '2025-04-01T00:00:00Z',
  '2025-03-05T00:00:00Z',
  '2025-03-06T00:00:00Z',
  'Usage',
  'Compute',
  'EC2',
  'AWS',
  'AWS',
  'AWS Inc.',
  '',
];
const plan = planColumns(header, SchemaRegistry.load().orgTable(COST_TABLE));
const normalizer = new FocusRowNormalizer(plan, 'USD');
const withCell = (column: string, value: string) => valid.map((v, i) => (header[i] === column ? value : v));

describe('FocusRowNormalizer', () => {
  it('types every cell and reports the charge period start', () => {
    const result = normalizer.normalize(valid, 1);

    expect(result).toMatchObject({ ok: true, chargePeriodStart: Date.UTC(2025, 2, 5) });
    if (!result.ok) return;
    expect(result.row).toMatchObject({
      BilledCost: 10.5,
      ChargePeriodStart: new Date('2025-03-05T00:00:00Z'),
      RegionId: null,
    });
    expect(Object.keys(result.row)).toHaveLength(header.length);
  });

  it('reports every problem of a row with its number and column', () => {
    const row = withCell('BilledCost', 'ten').map((v, i) => (header[i] === 'ServiceName' ? ' ' : v));

    expect(normalizer.normalize(row, 7)).toEqual({
      ok: false,
      errors: [
        { row: 7, column: 'BilledCost', message: 'expected a decimal number, got "ten"' },
        { row: 7, column: 'ServiceName', message: 'is required' },
      ],
    });
  });

  it('refuses a row whose field count differs from the header', () => {
    expect(normalizer.normalize(valid.slice(1), 3)).toEqual({
      ok: false,
      errors: [
        { row: 3, column: null, message: `has ${header.length - 1} fields; the header has ${header.length}` },
      ],
    });
  });

  it('refuses a charge period that ends before it starts and a currency that is not ISO 4217', () => {
    const row = withCell('ChargePeriodEnd', '2025-03-04T00:00:00Z').map((v, i) =>
      header[i] === 'BillingCurrency' ? 'usd' : v,
    );

    expect(normalizer.normalize(row, 2)).toEqual({
      ok: false,
      errors: [
        { row: 2, column: 'ChargePeriodEnd', message: 'is before ChargePeriodStart' },
        { row: 2, column: 'BillingCurrency', message: 'expected an ISO 4217 code such as USD' },
      ],
    });
  });

  it('refuses a cost of a trillion or more in any cost column, naming the column and the bound', () => {
    const row = withCell('BilledCost', '9300000000000').map((v, i) =>
      header[i] === 'ListCost' ? '-1e12' : header[i] === 'ContractedCost' ? '999999999999.99' : v,
    );
    const effective = withCell('EffectiveCost', '1000000000000.000000001');

    expect(normalizer.normalize(row, 4)).toEqual({
      ok: false,
      errors: [
        {
          row: 4,
          column: 'BilledCost',
          message: 'is "9300000000000"; a cost must be less than 1,000,000,000,000 (1e12) in absolute value',
        },
        {
          row: 4,
          column: 'ListCost',
          message: 'is "-1e12"; a cost must be less than 1,000,000,000,000 (1e12) in absolute value',
        },
      ],
    });
    expect(normalizer.normalize(effective, 5)).toMatchObject({
      ok: false,
      errors: [{ row: 5, column: 'EffectiveCost' }],
    });
  });

  it('leaves other NUMERIC columns (quantities, prices) to the NUMERIC range', () => {
    const header2 = [...header, 'ConsumedQuantity'];
    const wide = new FocusRowNormalizer(
      planColumns(header2, SchemaRegistry.load().orgTable(COST_TABLE)),
      'USD',
    );
    expect(wide.normalize([...valid, '5e15'], 1)).toMatchObject({
      ok: true,
      row: { ConsumedQuantity: 5e15 },
    });
  });
});
