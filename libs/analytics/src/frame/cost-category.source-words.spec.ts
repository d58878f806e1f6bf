import { aFocusRow } from '#test/focus-rows';
import { costByCategory } from '../aggregations/by-category.js';
import { costFrameOf } from '../testing/frame-of.js';
import { costCategoryOf } from './cost-category.js';

const of = (provider: string, serviceCategory: string, sourceSystem: string | null) =>
  costCategoryOf({ provider, serviceCategory, sourceSystem });

describe('cost categories: a source system names a cloud or GenAI as a whole word, never inside one', () => {
  it('still recognises the loaders’ names and exports named after a cloud or GenAI', () => {
    expect(of('Acme', 'Other', 'gcp_billing')).toBe('cloud');
    expect(of('Acme', 'Other', 'aws_cur')).toBe('cloud');
    expect(of('Acme', 'Other', 'my_aws_export')).toBe('cloud');
    expect(of('Acme', 'Other', 'Azure-Export')).toBe('cloud');
    expect(of('Acme', 'Other', 'oci_usage_2025')).toBe('cloud');
    expect(of('Acme', 'Other', 'cloud_costs')).toBe('cloud');
    expect(of('Acme', 'Other', 'llm_usage')).toBe('genai');
    expect(of('Acme', 'Other', 'team_genai_import')).toBe('genai');
  });

  it('does not find oci in "social", cloud in "soundcloud", aws in "laws" or llm in "enrollment"', () => {
    expect(of('Meta', 'Marketing', 'social_ads')).toBe('other');
    expect(of('SoundCloud', 'SaaS', 'soundcloud_invoices')).toBe('subscription');
    expect(of('Counsel LLP', 'Legal', 'laws_and_fees')).toBe('other');
    expect(of('Benefits Co', 'HR', 'enrollment_fees')).toBe('other');
  });

  it('puts such rows in their own category in the split (the cloud and GenAI parts stay empty)', () => {
    const frame = costFrameOf([
      aFocusRow({
        provider: 'Meta',
        serviceCategory: 'Marketing',
        sourceSystem: 'social_ads',
        billedCost: 4,
      }),
      aFocusRow({
        provider: 'Benefits Co',
        serviceCategory: 'HR',
        sourceSystem: 'enrollment_fees',
        billedCost: 6,
      }),
    ]);
    expect(costByCategory(frame).map((p) => [p.category, p.billed, p.recordCount])).toEqual([
      ['cloud', 0, 0],
      ['genai', 0, 0],
      ['subscription', 0, 0],
      ['other', 10_000_000, 2],
    ]);
  });
});
