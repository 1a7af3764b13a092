import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// dist/src/cli/version.js and src/cli/version.ts are both three levels below package.json.
const pkg = require('../../../package.json') as { version: string };
export const VERSION: string = pkg.version;
