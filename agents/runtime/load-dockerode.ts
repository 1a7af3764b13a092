// Loads dockerode without the parts an agent never uses. dockerode requires gRPC and
// protobuf (BuildKit sessions) and docker-modem requires ssh2 (ssh:// engines) at load
// time; ssh2 alone instantiates a WebAssembly module with ~16 MB of memory. On a Raspberry
// Pi that is a third of the agent's budget (≤ 60 MB RSS), so both entry points are put in
// the require cache as thin functions that load the real module on first call: an agent
// talking to a unix socket or tcp:// engine never loads them, one on ssh:// still works.
import { createRequire, Module } from 'node:module';
import type Dockerode from 'dockerode';

type DockerodeConstructor = typeof Dockerode;

const requireHere = createRequire(import.meta.url);
let loaded: DockerodeConstructor | null = null;

/** Puts a stand-in for the function module `specifier` (resolved by `from`) in the require cache. */
function deferFunctionModule(from: NodeJS.Require, specifier: string): void {
  const path = from.resolve(specifier);
  if (from.cache[path]) return;
  let real: ((...args: unknown[]) => unknown) | null = null;
  const stub = new Module(path);
  stub.filename = path;
  stub.loaded = true;
  stub.exports = function deferred(this: unknown, ...args: unknown[]): unknown {
    if (real === null) {
      delete from.cache[path];
      real = from(specifier) as (...args: unknown[]) => unknown;
      stub.exports = real;
      from.cache[path] = stub;
    }
    return real.apply(this, args);
  };
  from.cache[path] = stub;
}

export function loadDockerode(): DockerodeConstructor {
  if (loaded) return loaded;
  const dockerodeMain = requireHere.resolve('dockerode');
  const fromDockerode = createRequire(dockerodeMain);
  try {
    deferFunctionModule(fromDockerode, './session.js');
    const fromModem = createRequire(fromDockerode.resolve('docker-modem'));
    deferFunctionModule(fromModem, './ssh.js');
  } catch {
    // A dockerode whose layout differs: load it whole, correctness over memory.
  }
  loaded = requireHere('dockerode') as DockerodeConstructor;
  return loaded;
}
