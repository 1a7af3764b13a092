// Runs Debian's real Mosquitto 2.0 with the shipped broker/mosquitto/{mosquitto.conf,acl}:
// the conf is copied with only its listener port and file paths changed, the passwd file is
// made with mosquitto_passwd -b. The caller closes it (afterEach).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../helpers/net.js';

const run = promisify(execFile);
const SHIPPED = fileURLToPath(new URL('../../broker/mosquitto/', import.meta.url));

export interface Mosquitto {
  port: number;
  url: string;
  dir: string;
  /** Everything mosquitto logged (stderr). */
  log(): string;
  /**
   * Stops mosquitto (SIGTERM: it saves its persistence file) and starts it again on the same
   * port, after `downMs` without a broker (default 0).
   */
  restart(downMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface MosquittoOptions {
  users: readonly { name: string; password: string }[];
  /** Replaces `allow_anonymous true` in the shipped conf. */
  allowAnonymous?: boolean;
}

/** The shipped mosquitto.conf with this run's port and paths; nothing else changes. */
export async function renderConf(dir: string, port: number, allowAnonymous: boolean): Promise<string> {
  const shipped = await readFile(path.join(SHIPPED, 'mosquitto.conf'), 'utf8');
  const replace = (text: string, key: string, value: string): string => {
    const re = new RegExp(`^${key} .*$`, 'm');
    if (!re.test(text)) throw new Error(`shipped mosquitto.conf has no "${key}" line`);
    return text.replace(re, `${key} ${value}`);
  };
  let conf = shipped;
  conf = replace(conf, 'listener', `${port} 127.0.0.1`);
  conf = replace(conf, 'allow_anonymous', String(allowAnonymous));
  conf = replace(conf, 'password_file', path.join(dir, 'passwd'));
  conf = replace(conf, 'acl_file', path.join(SHIPPED, 'acl'));
  conf = replace(conf, 'persistence_location', `${dir}/`);
  return conf;
}

export async function startMosquitto(options: MosquittoOptions): Promise<Mosquitto> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-mosquitto-'));
  // Started as root, mosquitto drops to its own user, which must reach its files.
  await chmod(dir, 0o755);
  const passwd = path.join(dir, 'passwd');
  await writeFile(passwd, '');
  for (const user of options.users) await run('mosquitto_passwd', ['-b', passwd, user.name, user.password]);
  await chmod(passwd, 0o644);
  const port = await freePort();
  const confFile = path.join(dir, 'mosquitto.conf');
  await writeFile(confFile, await renderConf(dir, port, options.allowAnonymous ?? true));
  await chmod(dir, 0o777);

  let stderr = '';
  let child: ChildProcess = spawn('/usr/sbin/mosquitto', ['-c', confFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const started = (proc: ChildProcess): Promise<void> => {
    let own = '';
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mosquitto did not start: ${own}`)), 10_000);
      proc.stderr?.on('data', (chunk: Buffer) => {
        own += chunk.toString();
        stderr += chunk.toString();
        if (/Opening ipv4 listen socket on port/.test(own) && /running/.test(own)) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`mosquitto exited ${code}: ${own}`));
      });
    });
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
  };
  const close = async (): Promise<void> => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await started(child);
  } catch (err) {
    await close();
    throw err;
  }
  const restart = async (downMs = 0): Promise<void> => {
    await stop();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    child = spawn('/usr/sbin/mosquitto', ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    await started(child);
  };
  return { port, url: `mqtt://127.0.0.1:${port}`, dir, log: () => stderr, restart, close };
}
