// Pure agent decisions: which containers to create, start, replace or remove, and the
// local policy that refuses privileged containers, host paths and images; what follows a
// kill from outside.
export type { AfterKill, KilledInstance } from './after-kill.js';
export { planAfterKill } from './after-kill.js';
export type { ApplyPlan, InstanceStep, RecoverInput, SeenContainer, WantedInstance } from './plan.js';
export { planApply, planInstance, planRecovery } from './plan.js';
export type { AgentPolicy, PolicyRefusal, PolicySubject } from './policy.js';
export {
  checkPolicy,
  imageAllowed,
  imageRepository,
  isUnderPath,
  LOCAL_COMPOSE_POLICY,
  normalizeHostPath,
} from './policy.js';
