import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig, ConfigValidationError } from '#platform';
import { CENTRAL_DATASET, WAREHOUSE, type Warehouse } from '#warehouse';

/**
 * BigQuery runs every query job in BIGQUERY_LOCATION, and a job finds no dataset of another
 * location ("Not found: Dataset p:organizations was not found in location US"): with the central
 * dataset elsewhere, every org call answered 404 WAREHOUSE_NOT_FOUND, naming nothing to fix. A
 * dataset cannot be moved, so the setting is what must change. The embedded warehouse has no
 * locations.
 */
@Injectable()
export class CentralLocation {
  private readonly logger = new Logger(CentralLocation.name);

  constructor(
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    private readonly config: AppConfig,
  ) {}

  /**
   * What is wrong when the central dataset is in another location than BIGQUERY_LOCATION (BigQuery's
   * names, whatever their case: the multi-region `US` is not the region `us-central1`); null when it
   * is not, or does not exist. Throws when its metadata cannot be read.
   */
  async mismatch(): Promise<string | null> {
    if (this.warehouse.driver !== 'bigquery') return null;
    const held = await this.warehouse.datasetLocation(CENTRAL_DATASET);
    const configured = this.config.env.BIGQUERY_LOCATION;
    if (held === null || held.toLowerCase() === configured.toLowerCase()) return null;
    return (
      `BIGQUERY_LOCATION: the central dataset '${CENTRAL_DATASET}' is in ${held}, not in ${configured}, ` +
      `and BigQuery finds no dataset outside the location a query runs in: set BIGQUERY_LOCATION=${held} ` +
      '(a dataset cannot be moved)'
    );
  }

  /**
   * At start, before anything runs a query: refused (ConfigValidationError) on a mismatch. Metadata
   * that cannot be read (the network, a permission) does not block the start; it is said.
   */
  async checkAtStart(): Promise<void> {
    let problem: string | null;
    try {
      problem = await this.mismatch();
    } catch (err) {
      this.logger.warn(
        `The location of the central dataset '${CENTRAL_DATASET}' could not be read, so BIGQUERY_LOCATION ` +
          `was not compared with it: ${err instanceof Error ? err.message : String(err)}`,
      );
      return;
    }
    if (problem) throw new ConfigValidationError([problem]);
  }
}
