import { aFocusRow } from '#test/focus-rows';
import { costFrameOf, groupedCostFrameOf } from '../testing/frame-of.js';
import { costByService } from './by-service.js';

/**
 * A service whose representative unit has no quantity (ConsumedQuantity null, or summing to 0)
 * shows no usage, as the reference (usage only when its quantity and unit are set): "0 Seat"
 * claimed none was used where the rows did not say.
 */
describe('cost by service whose usage has no quantity', () => {
  const rows = [
    aFocusRow({ serviceName: 'Slack', consumedUnit: 'Seat', consumedQuantity: null, billedCost: 80 }),
    aFocusRow({ serviceName: 'Slack', consumedUnit: 'Seat', consumedQuantity: null, billedCost: 20 }),
    aFocusRow({ serviceName: 'EC2', consumedUnit: 'seconds', consumedQuantity: 5, billedCost: 3 }),
    aFocusRow({ serviceName: 'EC2', consumedUnit: 'seconds', consumedQuantity: -5, billedCost: -3 }),
    aFocusRow({ serviceName: 'S3', consumedUnit: 'Requests', consumedQuantity: 1_500, billedCost: 1 }),
  ];

  it.each([
    ['FOCUS rows', costFrameOf(rows)],
    ['grouped rows', groupedCostFrameOf(rows, 'costs')],
  ])('omits usage and its unit (%s)', (_name, frame) => {
    const byName = new Map(costByService(frame).map((s) => [s.service, s]));
    expect(byName.get('Slack')).not.toHaveProperty('usage');
    expect(byName.get('Slack')).not.toHaveProperty('usageUnit');
    expect(byName.get('EC2')).not.toHaveProperty('usage');
    expect(byName.get('S3')).toMatchObject({ usage: '1.5K reqs', usageUnit: 'Requests' });
  });
});
