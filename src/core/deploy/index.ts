// Pure deploy decisions: instance planning, service judgement, the deploy state machine, stop order.
export type { Assignment, InstancePlan, InstancePlanResult, ServiceTarget } from './instance-plan.js';
export { instanceId, moveAssignment, planInstances } from './instance-plan.js';
export type {
  HealthName,
  InstanceStateName,
  InstanceView,
  Judgement,
  Milestones,
  ServiceRules,
  Target,
} from './judge.js';
export {
  conditionMet,
  describeCrashLoop,
  judgeService,
  mergeMilestones,
  NO_MILESTONES,
  reachedTarget,
} from './judge.js';
export type { DeploySpec, DeployStack } from './plan.js';
export {
  buildDeployPlan,
  checkConditions,
  DEFAULT_STARTUP_TIMEOUT_MS,
  hasHealthcheck,
  targetOf,
} from './plan.js';
export type {
  DeployAction,
  DeployEvent,
  DeployEventType,
  DeployOutcome,
  DeployPlan,
  DeployServicePlan,
  DeployState,
  Phase,
  ServiceProgress,
  StepResult,
} from './step.js';
export { initDeploy, isTerminal, nextDeadline, stepDeploy } from './step.js';
export { stoppable, withDependents } from './stop-order.js';
