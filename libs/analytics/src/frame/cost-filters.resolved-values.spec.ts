import { aFocusRow, TEST_HIERARCHY } from '#test/focus-rows';
import { costFrameOf, groupedCostFrameOf } from '../testing/frame-of.js';
import { costCategoryOf } from './cost-category.js';
import { categoryTriples, resolveCostFilters } from './cost-filters.js';

const entity = (id: string) => TEST_HIERARCHY.find((e) => e.id === id)!;

const rows = [
  aFocusRow({ provider: 'AWS', serviceCategory: 'Compute', entity: entity('TEAM-1') }),
  aFocusRow({ provider: 'OpenAI', serviceCategory: 'AI and Machine Learning', sourceSystem: null }),
  aFocusRow({ provider: 'Google', serviceCategory: 'genai', sourceSystem: null, entity: entity('PROJ-10') }),
  aFocusRow({
    provider: 'Oracle',
    serviceCategory: 'Compute',
    sourceSystem: null,
    entity: entity('DEPT-10'),
  }),
  aFocusRow({ provider: 'Slack', serviceCategory: 'SaaS', sourceSystem: 'subscription_costs_daily' }),
];

/** What a listing paged in the warehouse selects by: the frame's own values for each filter. */
describe('filters resolved to the values a frame holds', () => {
  it.each([
    ['a frame of rows', costFrameOf(rows)],
    ['a grouped frame', groupedCostFrameOf(rows, 'hierarchy')],
  ])('names the spellings present, in any case, and the paths through an entity (%s)', (_, df) => {
    const resolved = resolveCostFilters(df, {
      providers: ['aws', 'GOOGLE', 'nobody'],
      serviceCategories: ['compute'],
      entityIds: ['DEPT-1', 'PROJ-10'],
      hierarchyPath: '/DEPT-10/',
      category: 'genai',
    });
    expect([...resolved.providers!].sort()).toEqual(['AWS', 'Google']);
    expect(resolved.serviceCategories).toEqual(['Compute']);
    expect(resolved.entities).toEqual([
      { id: 'DEPT-1', paths: ['/DEPT-1/PROJ-1/TEAM-1'] },
      { id: 'PROJ-10', paths: ['/DEPT-10/PROJ-10'] },
    ]);
    expect([...resolved.paths!].sort()).toEqual(['/DEPT-10', '/DEPT-10/PROJ-10']);
    expect(resolved.category).toBe('genai');
    // A filter not given stays unset (matches every row); one that names nothing present, an empty list.
    expect(resolveCostFilters(df, {})).toEqual({
      providers: undefined,
      serviceCategories: undefined,
      entities: [],
      paths: undefined,
      category: undefined,
    });
    expect(resolveCostFilters(df, { providers: ['nobody'] }).providers).toEqual([]);
  });

  it('gives each category the (provider, service category, source) triples of its rows, nulls kept', () => {
    const df = groupedCostFrameOf(rows, 'costs');
    const genai = categoryTriples(df, 'genai');
    expect(genai).toEqual(
      expect.arrayContaining([
        { provider: 'OpenAI', serviceCategory: 'AI and Machine Learning', sourceSystem: null },
        { provider: 'Google', serviceCategory: 'genai', sourceSystem: null },
      ]),
    );
    expect(genai).toHaveLength(2);
    for (const category of ['cloud', 'genai', 'subscription', 'other'] as const)
      for (const triple of categoryTriples(df, category)) expect(costCategoryOf(triple)).toBe(category);
    expect(categoryTriples(df, 'other')).toEqual([]);
  });
});
