import { demoBaseUrl } from './demo-curl.js';

describe('demoBaseUrl', () => {
  it('prints a URL curl can call for every address the server may bind to', () => {
    expect(demoBaseUrl('0.0.0.0', 8000)).toBe('http://127.0.0.1:8000');
    expect(demoBaseUrl('::', 8000)).toBe('http://127.0.0.1:8000');
    expect(demoBaseUrl('::1', 8000)).toBe('http://[::1]:8000');
    expect(demoBaseUrl('fd00::5', 9000)).toBe('http://[fd00::5]:9000');
    expect(demoBaseUrl('10.0.0.5', 8000)).toBe('http://10.0.0.5:8000');
    expect(demoBaseUrl('api.internal', 8000)).toBe('http://api.internal:8000');
  });
});
