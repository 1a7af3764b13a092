// What a Compose restart policy means for a container that exited.

/**
 * Restart policy `no` or `on-failure[:N]`: the service is a one-shot job, so a clean exit
 * (code 0) means its work is done, not that it died. Agent (recovery, apply) and
 * orchestrator (service state, health summary) judge finished jobs by this one rule.
 */
export function isOneShotRestart(restart: string): boolean {
  return restart === 'no' || restart.startsWith('on-failure');
}
