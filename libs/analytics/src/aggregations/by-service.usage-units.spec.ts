import { aFocusRow } from '#test/focus-rows';
import { costFrameOf } from '../testing/frame-of.js';
import { costByService } from './by-service.js';
import { formatUsage, usageUnitKind } from './usage-units.js';

describe('cost by service with its usage', () => {
  it('sums billed and effective per service and shows savings and shares', () => {
    const frame = costFrameOf([
      aFocusRow({ serviceName: 'EC2', billedCost: 60, effectiveCost: 50 }),
      aFocusRow({ serviceName: 'EC2', billedCost: 15, effectiveCost: 15 }),
      aFocusRow({ serviceName: 'S3', billedCost: 25, effectiveCost: 20, consumedUnit: null }),
    ]);
    expect(
      costByService(frame).map(({ service, billed, effective, savings, percentage }) => ({
        service,
        billed,
        effective,
        savings,
        percentage,
      })),
    ).toEqual([
      { service: 'EC2', billed: 75_000_000, effective: 65_000_000, savings: 10_000_000, percentage: 75 },
      { service: 'S3', billed: 25_000_000, effective: 20_000_000, savings: 5_000_000, percentage: 25 },
    ]);
    expect(costByService(frame)[1]!.usage).toBeUndefined();
  });

  it('picks seconds over bytes over requests, whatever they cost', () => {
    const frame = costFrameOf([
      aFocusRow({
        serviceName: 'Lambda',
        consumedUnit: 'Requests',
        consumedQuantity: 2_500_000,
        billedCost: 90,
      }),
      aFocusRow({
        serviceName: 'Lambda',
        consumedUnit: 'Bytes',
        consumedQuantity: 3 * 1024 ** 3,
        billedCost: 5,
      }),
      aFocusRow({ serviceName: 'Lambda', consumedUnit: 'byte-seconds', consumedQuantity: 1, billedCost: 1 }),
      aFocusRow({ serviceName: 'Lambda', consumedUnit: 'seconds', consumedQuantity: 7_200, billedCost: 1 }),
    ]);
    expect(costByService(frame)[0]).toMatchObject({
      usage: '2.0 hrs',
      usageUnit: 'seconds',
      usageQuantity: 7_200,
    });
  });

  it('breaks a priority tie by cost', () => {
    const frame = costFrameOf([
      aFocusRow({ serviceName: 'GPT', consumedUnit: 'Tokens', consumedQuantity: 4_100, billedCost: 9 }),
      aFocusRow({ serviceName: 'GPT', consumedUnit: 'Images', consumedQuantity: 12, billedCost: 10 }),
    ]);
    expect(costByService(frame)[0]).toMatchObject({ usage: '12 Images', usageUnit: 'Images' });
  });

  it('formats each kind of unit for people', () => {
    expect(usageUnitKind('byte-seconds')).toBe('byte_time');
    expect(formatUsage(2 * 1024 ** 3 * 3600, 'byte-seconds')).toBe('2.00 GiB-hrs');
    expect(formatUsage(1024 ** 3 * 3600 * 2048, 'byte-seconds')).toBe('2.00 TiB-hrs');
    expect(formatUsage(1024 ** 3 * 1800, 'byte-seconds')).toBe('512.00 MiB-hrs');
    expect(formatUsage(59, 'seconds')).toBe('59 sec');
    expect(formatUsage(1536, 'bytes')).toBe('1.50 KiB');
    expect(formatUsage(512, 'bytes')).toBe('512 B');
    expect(formatUsage(1_250_000, 'Requests')).toBe('1.25M reqs');
    expect(formatUsage(1_500, 'API Calls')).toBe('1.5K reqs');
    expect(formatUsage(999, 'requests')).toBe('999 reqs');
    expect(formatUsage(4_100, 'Tokens')).toBe('4.10K Tokens');
    expect(formatUsage(2_000_000_000, 'Tokens')).toBe('2.00B Tokens');
    expect(formatUsage(3.14159, 'Hours')).toBe('3.14 Hours');
  });
});
