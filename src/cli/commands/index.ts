// Every sub-command of `alicia`, one module each.
import type { Command } from 'commander';
import { registerAgent } from './agent.js';
import { registerAgents } from './agents.js';
import { registerBroker } from './broker.js';
import { registerConfig } from './config.js';
import { registerDocs } from './docs.js';
import { registerDown } from './down.js';
import { registerEvents } from './events.js';
import { registerHeal } from './heal.js';
import { registerHistory } from './history.js';
import { registerOrchestrator } from './orchestrator.js';
import { registerPlan } from './plan.js';
import { registerPs } from './ps.js';
import { registerRestart } from './restart.js';
import { registerScale } from './scale.js';
import { registerStop } from './stop.js';
import { registerUp } from './up.js';

export function registerCommands(program: Command): void {
  registerAgent(program);
  registerBroker(program);
  registerConfig(program);
  registerUp(program);
  registerPlan(program);
  registerOrchestrator(program);
  registerPs(program);
  registerScale(program);
  registerRestart(program);
  registerHeal(program);
  registerHistory(program);
  registerStop(program);
  registerDown(program);
  registerAgents(program);
  registerEvents(program);
  registerDocs(program);
}
