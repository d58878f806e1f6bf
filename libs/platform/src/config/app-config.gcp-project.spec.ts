import { loadAppConfig } from './app-config.js';
import { configProblems, tmpDataDir } from './testing/config-problems.js';

const bigquery = { CA_ROOT_API_KEY: 'k'.repeat(32), WAREHOUSE_DRIVER: 'bigquery' };
const problemsOf = (projectId: string) => configProblems({ ...bigquery, GCP_PROJECT_ID: projectId });
const MESSAGE = expect.stringMatching(/^GCP_PROJECT_ID must be a project id: 6 to 30 lowercase letters/);

describe('GCP_PROJECT_ID with the BigQuery warehouse', () => {
  it('refuses a blank project id, which failed only at the first query', () => {
    for (const blank of [' ', '\t', '  \n'])
      expect(problemsOf(blank), JSON.stringify(blank)).toEqual([MESSAGE]);
  });

  it('refuses ids Google never issues, by name', () => {
    for (const id of [
      'abc', // under 6 characters
      'a'.repeat(31), // over 30
      'My-Project', // uppercase
      '1project', // starts with a digit
      'my-project-', // ends with a hyphen
      'my_project', // underscore
      'my project',
      'my-project.central', // a dataset appended
      'projects/my-project',
      ':my-project',
    ])
      expect(problemsOf(id), id).toEqual([MESSAGE]);
  });

  it('takes project ids and legacy domain-scoped ones, read without a trailing line break', () => {
    for (const id of ['finops-test', 'a12345', `a${'b'.repeat(28)}9`, 'example.com:my-project'])
      expect(problemsOf(id), id).toEqual([]);
    const config = loadAppConfig({ ...bigquery, DATA_DIR: tmpDataDir(), GCP_PROJECT_ID: ' finops-prod\n' });
    expect(config.env.GCP_PROJECT_ID).toBe('finops-prod');
  });

  it('is not judged when the warehouse is the embedded one', () => {
    expect(configProblems({ GCP_PROJECT_ID: 'x' })).toEqual([]);
  });
});
