import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';

/** Where an org dataset may be created (BigQuery multi-regions and regions the product supports). */
export const DATASET_LOCATIONS = [
  'US',
  'EU',
  'asia-east1',
  'asia-east2',
  'asia-northeast1',
  'asia-northeast2',
  'asia-northeast3',
  'asia-south1',
  'asia-southeast1',
  'asia-southeast2',
  'australia-southeast1',
  'europe-north1',
  'europe-west1',
  'europe-west2',
  'europe-west3',
  'europe-west4',
  'europe-west6',
  'northamerica-northeast1',
  'southamerica-east1',
  'us-central1',
  'us-east1',
  'us-east4',
  'us-west1',
  'us-west2',
  'us-west3',
  'us-west4',
] as const;

/**
 * BIGQUERY_LOCATION: one of DATASET_LOCATIONS, whatever its case. A blank or mistyped one passed
 * the start, which then failed at creating the central dataset naming no variable, or created
 * orgs' datasets where the onboarding would refuse them.
 */
export const IsDatasetLocation = () =>
  ValidateBy({
    name: 'isDatasetLocation',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && DATASET_LOCATIONS.some((l) => l.toLowerCase() === value.toLowerCase()),
      defaultMessage: () =>
        `BIGQUERY_LOCATION must be a BigQuery location the product supports (${DATASET_LOCATIONS.slice(0, 3).join(', ')}, … as dataset_location takes them)`,
    },
  });

/**
 * BIGQUERY_LOCATION read without surrounding whitespace and in the spelling DATASET_LOCATIONS has
 * (`eu` is `EU`): it is every new org's `dataset_location`, stored and answered as it is, and an
 * onboarding refuses any other spelling, so a default taken in lower case was answered as a
 * location the API itself refused when sent back. An unknown value is left for IsDatasetLocation.
 */
export const CanonicalLocation = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const text = value.trim();
    return DATASET_LOCATIONS.find((l) => l.toLowerCase() === text.toLowerCase()) ?? text;
  });
