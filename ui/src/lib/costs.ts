// Shaping budgets and prices for the Costs page: test ids of model rows, searching the price
// table, checking a new price, and a budget's bar.

// The API's own shapes, generated from the Rust types (api-types.ts).
import type { ApiKey, BudgetStatus, Period, PriceRow, Source } from './api-types';

export type { ApiKey, BudgetStatus, Period, PriceRow };
export type PriceSource = Source;
export const periods: readonly Period[] = ['daily', 'weekly', 'monthly'];
export const priceSources: readonly PriceSource[] = ['custom', 'catalog', 'included-tier', 'unknown'];

/** A model id usable in a test id: `openai/gpt-4o` → `openai_gpt-4o`. */
export function modelTestId(model: string): string {
  return model.replaceAll('/', '_');
}

/** Rows whose model contains every word of `query` (case-insensitive), of `source` if given. */
export function filterPrices(rows: PriceRow[], query: string, source: PriceSource | '' = ''): PriceRow[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter(
    (r) => (!source || r.source === source) && words.every((w) => r.model.toLowerCase().includes(w)),
  );
}

/** A price typed by the user: a number of USD, 0 or more (a comma is read as a decimal point). */
export function parsePrice(text: string | number): number | null {
  const s = String(text).trim().replace(',', '.');
  if (s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** Whether `model` is a `provider/model` id the pricing API accepts. */
export function isModelId(model: string): boolean {
  const i = model.indexOf('/');
  return i > 0 && i < model.trim().length - 1 && !/\s/.test(model.trim());
}

/** Width of a budget's bar, 0–100. */
export function barPercent(b: Pick<BudgetStatus, 'percent'>): number {
  return Number.isFinite(b.percent) ? Math.min(100, Math.max(0, b.percent)) : 100;
}

/** Budgets sorted by key name, then period (daily, weekly, monthly). */
export function sortBudgets(list: BudgetStatus[]): BudgetStatus[] {
  return [...list].sort(
    (a, b) =>
      a.keyName.localeCompare(b.keyName) ||
      a.keyId.localeCompare(b.keyId) ||
      periods.indexOf(a.period) - periods.indexOf(b.period),
  );
}
