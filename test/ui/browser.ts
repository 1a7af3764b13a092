// Helpers for the dashboard's browser tests: Debian's Chromium (installed by
// scripts/test-deps.sh) driven by playwright-core, the page built by esbuild into a temp dir.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('../..', import.meta.url));
/** Screenshots land here (gitignored), to be looked at. */
export const SCREENSHOTS = path.join(root, 'test-output', 'ui');

/** Builds the page as `npm run build` does (scripts/build-ui.mjs) into `dir`. */
export function buildPage(dir: string): void {
  execFileSync('node', [path.join(root, 'scripts', 'build-ui.mjs'), dir], { stdio: 'inherit' });
}

export async function launchChromium(): Promise<Browser> {
  // No skip: a missing browser fails the run (scripts/test-deps.sh installs it).
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run scripts/test-deps.sh (Debian's chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Waits until the element with `data-testid` holds `text` (or matches it). */
export async function waitText(
  page: Page,
  testId: string,
  text: string | RegExp,
  timeoutMs = 20_000,
): Promise<void> {
  const pattern =
    typeof text === 'string'
      ? { source: text, flags: 'literal' }
      : { source: text.source, flags: text.flags };
  try {
    // A string: evaluated in the page (this file's TypeScript has no DOM types).
    await page.waitForFunction(
      `(() => {
        const content = document.querySelector(${JSON.stringify(`[data-testid="${testId}"]`)})?.textContent ?? '';
        const p = ${JSON.stringify(pattern)};
        return p.flags === 'literal' ? content.includes(p.source) : new RegExp(p.source, p.flags).test(content);
      })()`,
      undefined,
      { timeout: timeoutMs },
    );
  } catch (err) {
    const content = await page
      .locator(`[data-testid="${testId}"]`)
      .first()
      .textContent({ timeout: 100 })
      .catch(() => '(absent)');
    throw new Error(`[data-testid=${testId}] never showed ${String(text)}; it shows: ${content}`, {
      cause: err,
    });
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export async function logIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(url);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
}
