import { RUNTIME_KEYS } from './runtime-keys.js';

// Every service attribute of the Compose specification, sorted by what Alicia does with
// it. A key in none of these lists is not Compose at all and is an error, as in Compose.

/** Attributes Alicia honours (read in service.ts). */
export const HONOURED_SERVICE_KEYS = [
  'image',
  'build',
  'command',
  'entrypoint',
  'environment',
  'env_file',
  'ports',
  'volumes',
  'depends_on',
  'healthcheck',
  'restart',
  'deploy',
  'scale',
  'stop_grace_period',
  'stop_signal',
  'labels',
  'network_mode',
  'networks',
  'links',
  'secrets',
  'configs',
  'user',
  'working_dir',
  'hostname',
  'privileged',
  'cap_add',
  'cap_drop',
  'cpus',
  'mem_limit',
  'mem_reservation',
  'pids_limit',
  'container_name',
  'extends',
  'x-alicia',
  'expose',
  'profiles',
  'label_file',
  ...RUNTIME_KEYS,
] as const;

const NOT_SUPPORTED = 'is not supported by Alicia and is ignored';

/** Attributes Alicia cannot honour: each gives a warning naming it (when it is not empty or false). */
export const IGNORED_SERVICE_KEYS: Readonly<Record<string, string>> = {
  pull_refresh_after: 'pull_refresh_after is not supported by Alicia; agents do not re-pull on a schedule',
  annotations: `annotations ${NOT_SUPPORTED}`,
  attach: `attach ${NOT_SUPPORTED}`,
  credential_spec: `credential_spec ${NOT_SUPPORTED}`,
  develop: 'develop (watch mode) is not supported by Alicia',
  models: `models ${NOT_SUPPORTED}`,
  post_start: `post_start hooks are not supported by Alicia`,
  pre_stop: `pre_stop hooks are not supported by Alicia`,
  provider: `provider services are not supported by Alicia`,
  use_api_socket: `use_api_socket ${NOT_SUPPORTED}`,
};

/** Top-level keys of a Compose file. */
export const TOP_LEVEL_KEYS = [
  'version',
  'name',
  'include',
  'services',
  'networks',
  'volumes',
  'secrets',
  'configs',
  'models',
  'x-alicia',
] as const;
