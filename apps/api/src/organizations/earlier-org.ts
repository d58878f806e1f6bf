import type { ApiKeyService } from '../api-keys/api-key.service.js';
import type { OrgDatasetService } from './org-dataset.service.js';

/**
 * Before a new org is created under `org` (under its lifecycle lease, with no profile): what an
 * earlier org of the slug left must not reach it. Its dataset is refused unless `adoptDataset`
 * (409 DATASET_EXISTS), and its keys are deleted: a key issued while that org was being offboarded
 * would otherwise open the new org once its profile is ACTIVE. Says whether the slug had no dataset,
 * so that the creation's dataset is its own to take back (DatasetCreation.absentBefore).
 */
export async function clearEarlierOrg(
  deps: { datasets: OrgDatasetService; keys: ApiKeyService },
  org: string,
  adoptDataset: boolean,
): Promise<{ datasetAbsent: boolean }> {
  const earlier = await deps.datasets.ensureNoEarlierDataset(org, adoptDataset);
  await deps.keys.deleteAll(org);
  return earlier;
}
