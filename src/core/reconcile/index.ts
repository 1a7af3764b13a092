// Pure reconciliation: desired instances vs observed containers -> a plan per host.
export type {
  AgentPlan,
  DesiredInstance,
  ObservedInstance,
  ReconcileOptions,
  ReconcilePlan,
  Replacement,
} from './reconcile.js';
export { applyPlan, reconcile } from './reconcile.js';
