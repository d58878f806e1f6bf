import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import type { Warehouse } from '../warehouse.port.js';
import {
  ALL_TYPES,
  type ContractContext,
  uniqueDatasetName,
  type WarehouseContractOptions,
} from './contract-context.js';
import { datasetsAndTablesContract } from './datasets-and-tables.contract.js';
import { failuresContract } from './failures.contract.js';
import { framesAndViewsContract } from './frames-and-views.contract.js';
import { loadFileContract } from './load-file.contract.js';
import { paramsAndDmlContract } from './params-and-dml.contract.js';
import { rowsAndTypesContract } from './rows-and-types.contract.js';

export type { WarehouseContractOptions } from './contract-context.js';

/**
 * The behaviour every Warehouse driver shares, as one Vitest suite: call it from a driver's spec
 * with a factory for a ready warehouse. Each test works in its own dataset (`c_<random>`), dropped
 * afterwards, so tests never depend on each other or on order.
 */
export function describeWarehouseContract(
  name: string,
  open: () => Promise<Warehouse>,
  options: WarehouseContractOptions = {},
): void {
  describe(`Warehouse contract: ${name}`, () => {
    let warehouse: Warehouse | undefined;
    const created: string[] = [];

    beforeAll(async () => {
      warehouse = await open();
    });
    afterEach(async () => {
      for (const dataset of created.splice(0)) await warehouse?.dropDataset(dataset);
    });
    afterAll(async () => {
      await warehouse?.close();
    });

    const context: ContractContext = {
      options,
      warehouse: () => {
        if (!warehouse) throw new Error('the warehouse did not open');
        return warehouse;
      },
      datasetName: () => {
        const dataset = uniqueDatasetName();
        created.push(dataset);
        return dataset;
      },
      dataset: async () => {
        const dataset = context.datasetName();
        await context.warehouse().ensureDataset(dataset);
        return dataset;
      },
      allTypesDataset: async () => {
        const dataset = await context.dataset();
        await context.warehouse().ensureTable(dataset, ALL_TYPES);
        return dataset;
      },
    };

    datasetsAndTablesContract(context);
    rowsAndTypesContract(context);
    paramsAndDmlContract(context);
    framesAndViewsContract(context);
    loadFileContract(context);
    failuresContract(context);
  });
}
