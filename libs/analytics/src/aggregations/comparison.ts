import type pl from 'nodejs-polars';
import { type Micros, percentChange } from '../money.js';
import { costByProvider } from './cost-shares.js';
import { billedTotal } from './totals.js';

export type ChangeDirection = 'up' | 'down' | 'flat';

export interface CostChange {
  amount: Micros;
  percent: number;
  direction: ChangeDirection;
}

export interface ProviderComparison {
  provider: string;
  current: Micros;
  previous: Micros;
  changeAmount: Micros;
  changePercent: number;
}

export interface CostComparison {
  current: Micros;
  previous: Micros;
  change: CostChange;
  /** Every provider of either period, by name. */
  byProvider: ProviderComparison[];
}

function change(current: Micros, previous: Micros): CostChange {
  const amount = current - previous;
  return {
    amount,
    percent: percentChange(current, previous),
    direction: amount > 0 ? 'up' : amount < 0 ? 'down' : 'flat',
  };
}

/** Billed cost of two periods side by side, overall and per provider. */
export function compareCosts(current: pl.DataFrame, previous: pl.DataFrame): CostComparison {
  const now = new Map(costByProvider(current).map((p) => [p.provider, p.billed]));
  const before = new Map(costByProvider(previous).map((p) => [p.provider, p.billed]));
  const providers = [...new Set([...now.keys(), ...before.keys()])].sort();
  const c = billedTotal(current);
  const p = billedTotal(previous);
  return {
    current: c,
    previous: p,
    change: change(c, p),
    byProvider: providers.map((provider) => {
      const cur = now.get(provider) ?? 0;
      const prev = before.get(provider) ?? 0;
      return {
        provider,
        current: cur,
        previous: prev,
        changeAmount: cur - prev,
        changePercent: percentChange(cur, prev),
      };
    }),
  };
}
