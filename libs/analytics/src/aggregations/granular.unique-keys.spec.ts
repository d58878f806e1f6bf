import { aFocusRow, TEST_HIERARCHY } from '#test/focus-rows';
import { costFrameOf } from '../testing/frame-of.js';
import { granularTrend } from './granular.js';

describe('granular trend', () => {
  const team = TEST_HIERARCHY.find((e) => e.id === 'TEAM-1')!;
  const frame = costFrameOf([
    // Same day, provider, entity and category but different source systems and service
    // categories: one granular row (the reference emitted two rows with the same keys).
    aFocusRow({
      date: '2025-01-02',
      provider: 'AWS',
      entity: team,
      billedCost: 1,
      sourceSystem: 'cloud_aws_billing',
    }),
    aFocusRow({
      date: '2025-01-02',
      provider: 'AWS',
      entity: team,
      billedCost: 2,
      sourceSystem: null,
      serviceCategory: 'Storage',
    }),
    aFocusRow({
      date: '2025-01-01',
      provider: 'OpenAI',
      entity: null,
      billedCost: 4,
      sourceSystem: 'genai_costs_daily',
    }),
  ]);

  it('groups by day, provider, entity and category only, oldest first', async () => {
    expect((await granularTrend(frame)).rows).toEqual([
      {
        date: '2025-01-01',
        provider: 'OpenAI',
        category: 'genai',
        billed: 4_000_000,
        recordCount: 1,
        hierarchyEntityId: null,
        hierarchyEntityName: null,
        hierarchyLevelCode: null,
        hierarchyPath: null,
        hierarchyPathNames: null,
      },
      {
        date: '2025-01-02',
        provider: 'AWS',
        category: 'cloud',
        billed: 3_000_000,
        recordCount: 2,
        hierarchyEntityId: 'TEAM-1',
        hierarchyEntityName: 'SRE',
        hierarchyLevelCode: 'function',
        hierarchyPath: '/DEPT-1/PROJ-1/TEAM-1',
        hierarchyPathNames: 'Engineering > Platform > SRE',
      },
    ]);
  });

  it('lists the filters the dashboard offers: providers, categories and every entity with cost', async () => {
    const trend = await granularTrend(frame);
    expect(trend.providers).toEqual(['AWS', 'OpenAI']);
    expect(trend.categories).toEqual(['cloud', 'genai']);
    expect(trend.entities).toEqual([
      { id: 'TEAM-1', name: 'SRE', levelCode: 'function', path: '/DEPT-1/PROJ-1/TEAM-1' },
    ]);
  });
});
