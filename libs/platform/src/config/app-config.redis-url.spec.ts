import { configProblems } from './testing/config-problems.js';

const problemsOf = (redisUrl: string) =>
  configProblems({ CA_ROOT_API_KEY: 'k'.repeat(32), REDIS_URL: redisUrl });

describe('REDIS_URL that ioredis cannot read', () => {
  it('names REDIS_URL for a password with a bare %, without printing it', () => {
    const problems = problemsOf('redis://:s3cr%t-pw@redis.internal:6379');
    expect(problems).toEqual([
      'REDIS_URL: its password holds a % not followed by two hex digits (write a % as %25)',
    ]);
    expect(problems.join('\n')).not.toContain('s3cr');
    expect(problemsOf('redis://ad%min:pw@redis.internal:6379')).toEqual([
      'REDIS_URL: its user name holds a % not followed by two hex digits (write a % as %25)',
    ]);
  });

  it('names REDIS_URL for a path that is not a database number', () => {
    expect(problemsOf('redis://redis.internal:6379/cache')).toEqual([
      'REDIS_URL: its path is the database number, digits only (redis://host:6379/0), or nothing',
    ]);
  });

  it('takes a password written with %25, a database number, and no path', () => {
    for (const url of [
      'redis://:s3cr%25t-pw@redis.internal:6379',
      'rediss://default:pw@redis.internal:6380/2',
      'redis://redis.internal:6379/',
      'redis://redis.internal:6379',
    ])
      expect(problemsOf(url), url).toEqual([]);
  });
});
