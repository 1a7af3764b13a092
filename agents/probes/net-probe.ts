// One HTTP or TCP probe from the agent's host: a socket, no `docker exec` (which costs
// ~35 ms of CPU on dockerd, containerd and runc per probe). Never throws: a failure is a
// result with its reason.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { NetProbeResult } from '../../src/core/healing/index.js';
import type { HealthProbe } from '../../src/protocol/container-spec.js';

const elapsed = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

function statusOk(status: number, expect: readonly number[] | undefined): boolean {
  return expect === undefined ? status >= 200 && status < 400 : expect.includes(status);
}

function httpProbe(probe: Extract<HealthProbe, { kind: 'http' }>): Promise<NetProbeResult> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const client = probe.url.startsWith('https:') ? https : http;
    let done = false;
    const finish = (result: NetProbeResult) => {
      if (done) return;
      done = true;
      resolve(result);
    };
    const request = client.get(
      probe.url,
      // No keep-alive: each probe sees the service as a new client would.
      { agent: false, timeout: probe.timeout_ms, headers: { 'user-agent': 'alicia-agent-probe' } },
      (response) => {
        const status = response.statusCode ?? 0;
        // The answer counts once it is complete (a handler that hangs mid-body is not answering).
        response.resume();
        response.once('end', () => {
          const latency = elapsed(start);
          finish(
            statusOk(status, probe.expect_status)
              ? { ok: true, latency_ms: latency, error: null }
              : { ok: false, latency_ms: latency, error: `HTTP ${status}` },
          );
        });
        response.once('error', (err) => finish({ ok: false, latency_ms: null, error: err.message }));
      },
    );
    request.once('timeout', () => {
      finish({ ok: false, latency_ms: null, error: `no answer within ${probe.timeout_ms} ms` });
      request.destroy();
    });
    request.once('error', (err) => finish({ ok: false, latency_ms: null, error: err.message }));
  });
}

function tcpProbe(probe: Extract<HealthProbe, { kind: 'tcp' }>): Promise<NetProbeResult> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const socket = net.connect({ host: probe.host, port: probe.port });
    const finish = (result: NetProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(probe.timeout_ms, () =>
      finish({ ok: false, latency_ms: null, error: `no connection within ${probe.timeout_ms} ms` }),
    );
    socket.once('connect', () => finish({ ok: true, latency_ms: elapsed(start), error: null }));
    socket.once('error', (err) => finish({ ok: false, latency_ms: null, error: err.message }));
  });
}

export function runNetProbe(probe: HealthProbe): Promise<NetProbeResult> {
  return probe.kind === 'http' ? httpProbe(probe) : tcpProbe(probe);
}
