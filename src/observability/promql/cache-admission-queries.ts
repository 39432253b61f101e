import { defineQuery } from './query.ts';

/** What L1 lets in (TinyLFU admission) and how each prefix's bytes sit against its budget. */

export const l1Admissions = defineQuery(
  'L1 admissions',
  '{{prefix}} {{result}}',
  (s) => `sum by (prefix, result) (${s.rate(s.prefixed('cache_admissions_total'))})`,
);

/** The fullest instance's bytes per prefix: a budget bounds each process, not the fleet. */
export const l1PrefixBytes = defineQuery(
  'L1 bytes by prefix',
  'held {{prefix}}',
  (s) => `max by (prefix) (${s.prefixed('cache_l1_prefix_bytes')})`,
);

export const l1PrefixBudget = defineQuery(
  'L1 byte budget by prefix',
  'budget {{prefix}}',
  (s) => `max by (prefix) (${s.prefixed('cache_l1_prefix_budget_bytes')})`,
);

/** The fullest instance's share of each prefix budget (prefixes without a budget are left out). */
export const l1PrefixBudgetUse = defineQuery(
  'L1 bytes / budget by prefix',
  '{{prefix}}',
  (s) =>
    `max by (prefix) (\n  ${s.prefixed('cache_l1_prefix_bytes')}\n  /\n  (${s.prefixed('cache_l1_prefix_budget_bytes')} > 0)\n)`,
);
