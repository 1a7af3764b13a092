// Bundles the dashboard (src/ui: Preact, MQTT.js's browser build, the protocol's zod
// schemas) into static files with esbuild, so the page needs no CDN at run time: it must
// work on a LAN with no internet. Usage: node scripts/build-ui.mjs [outDir] (default dist/ui).
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'dist', 'ui'));
await mkdir(outDir, { recursive: true });
await build({
  entryPoints: [path.join(root, 'src', 'ui', 'main.tsx')],
  outfile: path.join(outDir, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) {
  await copyFile(path.join(root, 'src', 'ui', file), path.join(outDir, file));
}
