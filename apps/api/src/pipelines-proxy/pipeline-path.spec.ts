import { upstreamSegments } from './pipeline-path.js';

describe('upstream pipeline path', () => {
  it('files a three-segment cloud provider trigger under the cloud category', () => {
    expect(upstreamSegments(['gcp', 'cost', 'billing'])).toEqual(['cloud', 'gcp', 'cost', 'billing']);
    expect(upstreamSegments(['AWS', 'cost', 'billing'])).toEqual(['cloud', 'AWS', 'cost', 'billing']);
  });

  it('sends category paths and four-segment paths as given', () => {
    expect(upstreamSegments(['subscription', 'costs', 'subscription_cost'])).toEqual([
      'subscription',
      'costs',
      'subscription_cost',
    ]);
    expect(upstreamSegments(['genai', 'payg', 'openai'])).toEqual(['genai', 'payg', 'openai']);
    expect(upstreamSegments(['cloud', 'gcp', 'cost', 'billing'])).toEqual([
      'cloud',
      'gcp',
      'cost',
      'billing',
    ]);
  });
});
