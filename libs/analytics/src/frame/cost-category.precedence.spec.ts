import { aFocusRow } from '#test/focus-rows';
import { costByCategory } from '../aggregations/by-category.js';
import { costTotals } from '../aggregations/totals.js';
import { costFrameOf } from '../testing/frame-of.js';
import { costCategoryOf } from './cost-category.js';

const of = (provider: string | null, serviceCategory: string | null, sourceSystem: string | null) =>
  costCategoryOf({ provider, serviceCategory, sourceSystem });

describe('cost categories: one category per row, one precedence', () => {
  it('trusts the loader that wrote the row first', () => {
    expect(of('OpenAI', 'AI and Machine Learning', 'subscription_costs_daily')).toBe('subscription');
    expect(of('AWS', 'Compute', 'genai_costs_daily_unified')).toBe('genai');
    expect(of('Slack', 'SaaS', 'cloud_gcp_billing')).toBe('cloud');
  });

  it('puts a cloud provider’s model API in GenAI only (the reference counted it as cloud too)', () => {
    expect(of('Google', 'genai', null)).toBe('genai');
    expect(of('Microsoft', 'AI and Machine Learning', 'custom')).toBe('genai');
    expect(of('AWS Bedrock', 'Compute', null)).toBe('genai');
  });

  it('recognises clouds by provider, source or service category', () => {
    expect(of('Amazon Web Services', 'Compute', null)).toBe('cloud');
    expect(of('Hetzner', 'Compute', null)).toBe('cloud');
    // FOCUS's service category of a managed database, from a provider outside the cloud list.
    expect(of('MongoDB', 'Databases', 'focus_import')).toBe('cloud');
    expect(of('MongoDB', 'database', null)).toBe('cloud');
    expect(of('Acme', 'Other', 'my_aws_export')).toBe('cloud');
  });

  it('matches providers as whole words, case-insensitively, never inside a word', () => {
    expect(of('  aws ', 'Other', null)).toBe('cloud');
    expect(of('Oracle Cloud Infrastructure', 'Databases', 'focus_import')).toBe('cloud');
    expect(of('Google Cloud Platform', 'Analytics', null)).toBe('cloud');
    expect(of('Amazon Web Services, Inc.', 'Other', null)).toBe('cloud');
    expect(of('Anthropic PBC', 'Other', null)).toBe('genai');
    expect(of('Associates Ltd', 'Consulting', null)).toBe('other');
    expect(of('OpenAIish', 'Consulting', null)).toBe('other');
  });

  it('puts SaaS service categories in subscription and everything else in other', () => {
    expect(of('Figma', 'SaaS', null)).toBe('subscription');
    expect(of('Datadog', 'Observability', 'custom_upload')).toBe('other');
    expect(of(null, null, null)).toBe('other');
  });

  it('makes the four parts of a frame add up to its total, row for row', () => {
    const frame = costFrameOf([
      aFocusRow({ provider: 'Google', serviceCategory: 'genai', sourceSystem: null, billedCost: 7.5 }),
      aFocusRow({ provider: 'AWS', billedCost: 10.25 }),
      aFocusRow({
        provider: 'Slack',
        serviceCategory: 'SaaS',
        sourceSystem: 'subscription_costs_daily',
        billedCost: 3,
      }),
      aFocusRow({
        provider: 'Datadog',
        serviceCategory: 'Observability',
        sourceSystem: null,
        billedCost: 1.1,
      }),
    ]);
    const parts = costByCategory(frame);
    expect(parts.map((p) => [p.category, p.billed, p.recordCount])).toEqual([
      ['cloud', 10_250_000, 1],
      ['genai', 7_500_000, 1],
      ['subscription', 3_000_000, 1],
      ['other', 1_100_000, 1],
    ]);
    const total = costTotals(frame);
    expect(parts.reduce((s, p) => s + p.billed, 0)).toBe(total.billed);
    expect(parts.reduce((s, p) => s + p.recordCount, 0)).toBe(total.recordCount);
  });
});
