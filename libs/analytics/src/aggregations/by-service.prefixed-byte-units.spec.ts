import { aFocusRow } from '#test/focus-rows';
import { costFrameOf } from '../testing/frame-of.js';
import { costByService } from './by-service.js';
import { formatUsage, usageUnitPriority } from './usage-units.js';

/**
 * Only a quantity of bytes (or byte-seconds) is scaled to KiB…TiB (or GiB-hours): a unit that
 * already counts gibibytes, megabytes… is another unit (reference §1.4: `bytes|byte` = 2, other
 * 0), shown as its own quantity and name, not divided by 1024 as if it counted bytes.
 */
describe('cost by service with usage in a prefixed byte unit', () => {
  it('shows 150 gibibytes as 150 gibibyte, not 150 B', () => {
    expect(formatUsage(150, 'gibibyte')).toBe('150 gibibyte');
    expect(formatUsage(2_048, 'Gibibyte Month')).toBe('2.05K Gibibyte Month');
    expect(formatUsage(1_500_000, 'Megabytes')).toBe('1.50M Megabytes');
  });

  it('does not read gibibyte-seconds as byte-seconds', () => {
    // 7,200 GiB-seconds is 2 GiB-hours, not 0.00 MiB-hrs.
    expect(formatUsage(7_200, 'gibibyte second')).toBe('7.20K gibibyte second');
    expect(formatUsage(7_200, 'GibiByte-Seconds')).toBe('7.20K GibiByte-Seconds');
  });

  it('still scales bytes and byte-seconds', () => {
    expect(formatUsage(3 * 1024 ** 3, 'Bytes')).toBe('3.00 GiB');
    expect(formatUsage(2 * 1024 ** 3 * 3600, 'Byte-Seconds')).toBe('2.00 GiB-hrs');
  });

  it('ranks a prefixed byte unit as any other unit, below requests', () => {
    expect(usageUnitPriority('gibibyte')).toBe(0);
    expect(usageUnitPriority('bytes')).toBe(2);
    const frame = costFrameOf([
      aFocusRow({ serviceName: 'Storage', consumedUnit: 'gibibyte', consumedQuantity: 150, billedCost: 90 }),
      aFocusRow({ serviceName: 'Storage', consumedUnit: 'Requests', consumedQuantity: 1_200, billedCost: 1 }),
    ]);
    expect(costByService(frame)[0]).toMatchObject({ usage: '1.2K reqs', usageUnit: 'Requests' });
  });
});
