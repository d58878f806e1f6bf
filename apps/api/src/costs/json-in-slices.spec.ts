import { JSON_SLICE, jsonInSlices } from './json-in-slices.js';
import { turnedDuring } from '#test/event-loop';

const rows = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    date: `2026-01-${String((i % 28) + 1).padStart(2, '0')}`,
    total_cost: i % 7 ? i * 0.1 : -0,
    hierarchy_path: i % 3 ? `/D-${i}` : null,
    note: i % 5 ? undefined : 'quote " and \\ and \u2028, é € 🧾 \ud800',
  }));

// A cost response is sent as these bytes: the 13 MB of a year's granular trend held every tenant's
// requests in one JSON.stringify.
describe('JSON of a response a slice of its rows at a time', () => {
  it.each([0, 1, JSON_SLICE, JSON_SLICE + 1, 2 * JSON_SLICE + 17])(
    'writes the UTF-8 of the text JSON.stringify writes, for %i rows',
    async (n) => {
      const body = {
        success: true,
        data: rows(n),
        summary: { total_cost: 1.5, departments: rows(3), empty: [] },
        skipped: undefined,
        items: rows(n).reverse(),
        cache_hit: true,
        query_time_ms: 0,
      };

      expect(await jsonInSlices(body)).toEqual(Buffer.from(JSON.stringify(body)));
    },
  );

  it('keeps a row that holds text like the placeholders as it is', async () => {
    const body = { data: [...rows(JSON_SLICE), { text: '__json_slices_x_0' }], '"odd" key': 1 };

    expect(await jsonInSlices(body)).toEqual(Buffer.from(JSON.stringify(body)));
  });

  it('lets the event loop turn while it writes a long array, not for a short one', async () => {
    expect((await turnedDuring(() => jsonInSlices({ data: rows(3 * JSON_SLICE) }))).turned).toBe(true);
    expect((await turnedDuring(() => jsonInSlices({ data: rows(JSON_SLICE) }))).turned).toBe(false);
  });
});
