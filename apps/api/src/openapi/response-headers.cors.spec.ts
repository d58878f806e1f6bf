import { CORS_EXPOSED_HEADERS } from '#platform';
import { RESPONSE_HEADERS } from './response-headers.js';

/** Response headers a browser lets a page read without CORS exposing them (the Fetch standard). */
const SAFELISTED = [
  'cache-control',
  'content-language',
  'content-length',
  'content-type',
  'expires',
  'last-modified',
  'pragma',
];

describe('the response headers a dashboard page can read', () => {
  it('exposes every response header the API documents to the allowed origins', () => {
    const exposed = new Set(CORS_EXPOSED_HEADERS.map((h) => h.toLowerCase()));
    const hidden = Object.keys(RESPONSE_HEADERS).filter(
      (h) => !SAFELISTED.includes(h.toLowerCase()) && !exposed.has(h.toLowerCase()),
    );
    expect(hidden).toEqual([]);
  });
});
