// Pure reconciliation: desired instances vs observed containers -> a plan per host.
export type {
  AgentPlan,
  DesiredInstance,
  InstanceMatch,
  ObservedInstance,
  ReconcileOptions,
  ReconcilePlan,
  Replacement,
  Slotted,
} from './reconcile.js';
export { applyPlan, matchInstances, reconcile } from './reconcile.js';
