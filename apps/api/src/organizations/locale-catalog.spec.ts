import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { currencyInfo, loadLocaleCatalog, localeCatalog } from './locale-catalog.js';

describe('locale catalog', () => {
  it('lists the 20 currencies and 16 time zones of the product', () => {
    const { currencies, timezones } = localeCatalog();
    expect([...currencies.keys()]).toEqual([
      'USD',
      'EUR',
      'GBP',
      'JPY',
      'CHF',
      'CAD',
      'AUD',
      'CNY',
      'INR',
      'SGD',
      'HKD',
      'NZD',
      'SEK',
      'KRW',
      'AED',
      'SAR',
      'QAR',
      'KWD',
      'BHD',
      'OMR',
    ]);
    expect(timezones.size).toBe(16);
    expect(timezones.has('Asia/Kolkata')).toBe(true);
  });

  it('gives zero-decimal and three-decimal currencies their minor units', () => {
    const decimals = (c: string) => currencyInfo(c).decimals;
    expect(['JPY', 'KRW'].map(decimals)).toEqual([0, 0]);
    expect(['KWD', 'BHD', 'OMR'].map(decimals)).toEqual([3, 3, 3]);
    expect(decimals('EUR')).toBe(2);
  });

  it('derives the country from the currency', () => {
    expect(currencyInfo('AED').country).toBe('AE');
    expect(currencyInfo('INR')).toMatchObject({ country: 'IN', symbol: '₹', name: 'Indian Rupee' });
  });

  it('falls back to USD for a code outside the catalog', () => {
    expect(currencyInfo('XXX').code).toBe('USD');
    expect(currencyInfo(null).code).toBe('USD');
  });

  it('refuses a catalog with an unknown time zone', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'i18n-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'currencies.json'),
        JSON.stringify([{ code: 'USD', name: 'US Dollar', symbol: '$', country: 'US', decimals: 2 }]),
      );
      fs.writeFileSync(
        path.join(dir, 'timezones.json'),
        JSON.stringify([
          { name: 'UTC', label: 'UTC' },
          { name: 'Mars/Olympus', label: 'Mars' },
        ]),
      );
      expect(() => loadLocaleCatalog(dir)).toThrow(/unknown IANA time zone Mars\/Olympus/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
