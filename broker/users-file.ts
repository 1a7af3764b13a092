// The users file (config/users.example.yaml): read, validated with zod (errors name the file
// and the field), and updated in place by `alicia broker passwd` keeping its comments.
import { readFile } from 'node:fs/promises';
import { type Document, isMap, isSeq, parseDocument, YAMLSeq } from 'yaml';
import { z } from 'zod';
import { AGENT_ID_PATTERN, RoleSchema } from '../src/core/acl/index.js';
import { aliciaError } from '../src/core/errors.js';
import { writeFileAtomic } from '../src/store/atomic-file.js';
import { PASSWORD_HASH_PATTERN, parsePasswordHash, type UserRecord } from './users.js';

const UserSchema = z.strictObject({
  name: z
    .string()
    .regex(
      AGENT_ID_PATTERN,
      'may hold only letters, digits, "_", "." and "-" (no "+", "#", "/"), at most 128',
    ),
  role: RoleSchema,
  password_hash: z
    .string()
    .regex(PASSWORD_HASH_PATTERN, 'must be scrypt$N$r$p$salt$hash (make it with `alicia broker passwd`)')
    .refine((h) => parsePasswordHash(h) !== null, 'has scrypt parameters out of range'),
});

export const UsersFileSchema = z
  .strictObject({ users: z.array(UserSchema).default([]) })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.users.forEach((user, i) => {
      if (seen.has(user.name)) {
        ctx.addIssue({ code: 'custom', message: `duplicate user ${user.name}`, path: ['users', i, 'name'] });
      }
      seen.add(user.name);
    });
  });

const HEADER = `# Alicia broker users. Passwords are stored as scrypt hashes only.
# Add or change a user with: alicia broker passwd --users <this file> <name> --role <role>
# Roles: orchestrator, agent (name = agent id), operator (CLI), viewer (read-only),
# homeassistant (a viewer that may press restart buttons; see docs/homeassistant.md).
`;

function invalid(file: string, detail: string): Error {
  return aliciaError('ALICIA_ERR_CONFIG_INVALID', `${file}: ${detail}`, { details: { file } });
}

function parseText(file: string, text: string): { doc: Document; users: UserRecord[] } {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw invalid(file, `not valid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  const result = UsersFileSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) throw invalid(file, z.prettifyError(result.error).replaceAll('\n', ' '));
  return { doc, users: result.data.users };
}

/** Reads and validates a users file; throws ALICIA_ERR_CONFIG_INVALID naming file and field. */
export async function loadUsersFile(file: string): Promise<UserRecord[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `${file}: cannot be read`, {
      cause: err,
      details: { file },
    });
  }
  return parseText(file, text).users;
}

/**
 * Adds or replaces one user and writes the file atomically with owner-only permissions.
 * Creates the file when it does not exist. Returns whether the user existed before.
 */
export async function upsertUser(file: string, record: UserRecord): Promise<{ updated: boolean }> {
  let text: string | null = null;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `${file}: cannot be read`, { cause: err });
    }
  }
  const { doc } =
    text === null || text.trim() === '' ? parseText(file, `${HEADER}users: []\n`) : parseText(file, text);
  if (!isMap(doc.contents)) doc.contents = doc.createNode({ users: [] });
  let users = doc.get('users');
  if (!isSeq(users)) {
    users = new YAMLSeq();
    doc.set('users', users);
  }
  const seq = users as YAMLSeq;
  const node = doc.createNode({ name: record.name, role: record.role, password_hash: record.password_hash });
  const index = seq.items.findIndex((item) => isMap(item) && item.get('name') === record.name);
  if (index >= 0) seq.items[index] = node;
  else seq.items.push(node);
  // Block style even when the file started as `users: []`.
  seq.flow = false;
  const out = doc.toString();
  parseText(file, out);
  await writeFileAtomic(file, out, 0o600);
  return { updated: index >= 0 };
}
