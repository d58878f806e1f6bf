import { microsToUnits, percentChange, percentage, round2, toMoney, unitsToMicros } from './money.js';

describe('money rounding: once, to cents, half away from zero', () => {
  it('rounds half a cent away from zero on both sides of zero', () => {
    expect(toMoney(5_000)).toBe(0.01);
    expect(toMoney(-5_000)).toBe(-0.01);
    expect(toMoney(1_125_000)).toBe(1.13);
    expect(toMoney(-1_125_000)).toBe(-1.13);
    expect(toMoney(2_675_000)).toBe(2.68);
  });

  it('rounds just below half a cent down, and never answers -0', () => {
    expect(toMoney(4_999)).toBe(0);
    expect(toMoney(-4_999)).toBe(0);
    expect(Object.is(toMoney(-4_999), -0)).toBe(false);
    expect(toMoney(12_344_999)).toBe(12.34);
  });

  it('keeps large sums exact to the cent (integers up to 2^53 micro-units)', () => {
    expect(toMoney(9_007_199_254_735_000)).toBe(9_007_199_254.74);
    expect(toMoney(123_456_789_012_345)).toBe(123_456_789.01);
  });

  it('rounds unrounded run rates (fractions of a micro-unit) once', () => {
    expect(toMoney(100_000_000 / 3)).toBe(33.33);
    expect(toMoney(20_000 / 3 + 0.5)).toBe(0.01);
  });

  it('treats non-finite values as zero rather than leaking NaN into JSON', () => {
    expect(toMoney(Number.NaN)).toBe(0);
    expect(toMoney(Number.POSITIVE_INFINITY)).toBe(0);
  });

  it('converts currency units to micro-units and back without drift', () => {
    expect(unitsToMicros(12.345678)).toBe(12_345_678);
    expect(unitsToMicros(-0.0000005)).toBe(-1);
    expect(unitsToMicros(0.1)).toBe(100_000);
    expect(microsToUnits(12_345_678)).toBe(12.345678);
  });

  it('gives percentages to 2 decimals, 0 of a total that is not positive', () => {
    expect(percentage(1, 3)).toBe(33.33);
    expect(percentage(2, 3)).toBe(66.67);
    expect(percentage(5, 0)).toBe(0);
    expect(percentage(5, -10)).toBe(0);
    expect(round2(-0.005)).toBe(-0.01);
  });

  it('gives percent change 100 from nothing, 0 from nothing to nothing, signed otherwise', () => {
    expect(percentChange(50, 0)).toBe(100);
    expect(percentChange(0, 0)).toBe(0);
    expect(percentChange(150, 100)).toBe(50);
    expect(percentChange(50, 100)).toBe(-50);
    expect(percentChange(-50, -100)).toBe(50);
  });
});
