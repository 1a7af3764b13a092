// The Compose project name: -p, else COMPOSE_PROJECT_NAME, else the top-level `name:`,
// else the project directory's base name normalized as Compose does (lower case, only
// a-z 0-9 _ -, starting with a letter or digit). Explicit names are checked, not rewritten.
import { basename } from 'node:path';
import type { AliciaError } from '../core/errors.js';
import { composeError, type Location } from './diagnostics.js';

const VALID = /^[a-z0-9][a-z0-9_-]*$/;
const RULE =
  'a project name holds only lowercase letters, digits, "-" and "_", and starts with a letter or digit';

export interface ProjectNameInputs {
  /** -p / --project-name. */
  explicit?: string | undefined;
  /** COMPOSE_PROJECT_NAME from the environment or .env. */
  fromEnv?: string | undefined;
  /** The merged top-level `name:` and the file that set it. */
  fromFile?: { name: string; file: string; location?: Location | undefined } | undefined;
  projectDirectory: string;
}

export function resolveProjectName(inputs: ProjectNameInputs): string {
  const check = (name: string, error: (message: string) => AliciaError): string => {
    if (!VALID.test(name)) throw error(`"${name}" is not a valid project name: ${RULE}`);
    return name;
  };
  if (inputs.explicit !== undefined && inputs.explicit !== '') {
    return check(inputs.explicit, (m) =>
      composeError('ALICIA_ERR_COMPOSE_INVALID', { file: '-p', path: '' }, m),
    );
  }
  if (inputs.fromEnv !== undefined && inputs.fromEnv !== '') {
    return check(inputs.fromEnv, (m) =>
      composeError('ALICIA_ERR_COMPOSE_INVALID', { file: 'COMPOSE_PROJECT_NAME', path: '' }, m),
    );
  }
  const fromFile = inputs.fromFile;
  if (fromFile && fromFile.name !== '') {
    return check(fromFile.name, (m) =>
      composeError(
        'ALICIA_ERR_COMPOSE_INVALID',
        { file: fromFile.file, path: 'name', location: fromFile.location },
        m,
      ),
    );
  }
  const base = basename(inputs.projectDirectory);
  const normalized = normalizeProjectName(base);
  if (normalized === '') {
    throw composeError(
      'ALICIA_ERR_COMPOSE_INVALID',
      { file: inputs.projectDirectory, path: '' },
      `cannot make a project name from the directory name "${base}"; give one with -p NAME or a top-level name:`,
    );
  }
  return normalized;
}

/** Compose's normalization of a directory name into a project name. */
export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}
