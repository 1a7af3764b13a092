// Broker building blocks without a network: password hashes, the users file, the packet
// size scanner.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PacketScanner } from '../../../broker/packet-limit.js';
import {
  createUserDirectory,
  hashPassword,
  parsePasswordHash,
  verifyPassword,
} from '../../../broker/users.js';
import { loadUsersFile, upsertUser } from '../../../broker/users-file.js';

// Cheap scrypt parameters keep the unit tests fast; the format and code path are the same.
const FAST = { N: 1024, r: 8, p: 1 };

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-users-'));
  dirs.push(dir);
  return dir;
}

describe('password hashes', () => {
  it('hash as scrypt$N$r$p$salt$hash with a fresh salt and verify in constant time', async () => {
    const a = await hashPassword('s3cret', FAST);
    const b = await hashPassword('s3cret', FAST);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
    expect(await verifyPassword('s3cret', a)).toBe(true);
    expect(await verifyPassword('s3cret ', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('refuses malformed hashes and absurd parameters instead of allocating', async () => {
    expect(parsePasswordHash('plain')).toBeNull();
    expect(parsePasswordHash('scrypt$1000$8$1$AAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAA')).toBeNull(); // N not 2^k
    expect(parsePasswordHash(`scrypt$${2 ** 30}$8$1$AAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAA`)).toBeNull();
    expect(await verifyPassword('x', 'scrypt$16384$8$1$$')).toBe(false);
  });

  it('a directory answers the role for the right password only', async () => {
    const dir = createUserDirectory([
      { name: 'pi-1', role: 'agent', password_hash: await hashPassword('pw', FAST) },
    ]);
    expect(await dir.verify('pi-1', Buffer.from('pw'))).toBe('agent');
    // Second check takes the remembered path; a wrong password must still fail after it.
    expect(await dir.verify('pi-1', 'pw')).toBe('agent');
    expect(await dir.verify('pi-1', 'wrong')).toBeNull();
    expect(await dir.verify('pi-1', undefined)).toBeNull();
    expect(await dir.verify('nobody', 'pw')).toBeNull();
  });
});

describe('users file', () => {
  it('is created and updated by upsert (0600, comments kept) and loads back', async () => {
    const file = path.join(await tmp(), 'users.yaml');
    expect(
      await upsertUser(file, { name: 'pi-1', role: 'agent', password_hash: await hashPassword('a', FAST) }),
    ).toEqual({ updated: false });
    const text = await readFile(file, 'utf8');
    await writeFile(file, `# my own note\n${text}`);
    await upsertUser(file, { name: 'ops', role: 'operator', password_hash: await hashPassword('b', FAST) });
    expect(
      await upsertUser(file, { name: 'pi-1', role: 'agent', password_hash: await hashPassword('c', FAST) }),
    ).toEqual({
      updated: true,
    });
    const users = await loadUsersFile(file);
    expect(users.map((u) => [u.name, u.role])).toEqual([
      ['pi-1', 'agent'],
      ['ops', 'operator'],
    ]);
    expect(await verifyPassword('c', users[0]?.password_hash ?? '')).toBe(true);
    expect(await readFile(file, 'utf8')).toContain('# my own note');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('names the file and the field of an invalid entry', async () => {
    const file = path.join(await tmp(), 'users.yaml');
    const hash = await hashPassword('x', FAST);
    await writeFile(file, `users:\n  - name: pi-1\n    role: admin\n    password_hash: ${hash}\n`);
    await expect(loadUsersFile(file)).rejects.toThrow(
      /ALICIA_ERR_CONFIG_INVALID|users\.yaml.*users\[0\]\.role/,
    );
    await expect(loadUsersFile(file)).rejects.toThrow(/users\.yaml: .*users\[0\]\.role/);
    await writeFile(file, `users:\n  - name: a/b\n    role: agent\n    password_hash: ${hash}\n`);
    await expect(loadUsersFile(file)).rejects.toThrow(/users\[0\]\.name/);
    await writeFile(file, 'users:\n  - name: pi-1\n    role: agent\n    password: hunter2\n');
    await expect(loadUsersFile(file)).rejects.toThrow(/password/);
    await writeFile(
      file,
      `users:\n  - {name: a, role: agent, password_hash: "${hash}"}\n  - {name: a, role: viewer, password_hash: "${hash}"}\n`,
    );
    await expect(loadUsersFile(file)).rejects.toThrow(/duplicate user a.*users\[1\]\.name/);
    await expect(loadUsersFile(path.join(path.dirname(file), 'missing.yaml'))).rejects.toThrow(
      /missing\.yaml: cannot be read/,
    );
  });
});

describe('PacketScanner', () => {
  function packet(bodyBytes: number): Buffer {
    // PUBLISH fixed header with a varint remaining length, then the body.
    const len: number[] = [];
    let x = bodyBytes;
    do {
      let byte = x % 128;
      x = Math.floor(x / 128);
      if (x > 0) byte |= 0x80;
      len.push(byte);
    } while (x > 0);
    return Buffer.concat([Buffer.from([0x30, ...len]), Buffer.alloc(bodyBytes, 1)]);
  }

  it('lets packets up to the limit through, in any chunking', () => {
    const stream = Buffer.concat([packet(0), packet(10), packet(200), packet(3_000)]);
    for (const size of [1, 2, 3, 7, 64, stream.byteLength]) {
      const scanner = new PacketScanner(3_003);
      for (let i = 0; i < stream.byteLength; i += size) {
        expect(scanner.feed(stream.subarray(i, i + size))).toEqual({ ok: true });
      }
    }
  });

  it('refuses a packet whose header announces more than the limit, before its body', () => {
    const scanner = new PacketScanner(1000);
    expect(scanner.feed(packet(10))).toEqual({ ok: true });
    const big = packet(5000);
    // Only the fixed header is fed: the refusal must not wait for the body.
    expect(scanner.feed(big.subarray(0, 3))).toMatchObject({ ok: false, size: 5003 });
  });

  it('refuses a remaining length longer than four bytes [MQTT-2.2.3]', () => {
    const scanner = new PacketScanner(1 << 30);
    expect(scanner.feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toMatchObject({ ok: false });
  });
});
