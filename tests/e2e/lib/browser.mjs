// Launches Debian's Chromium through playwright-core with a fresh profile.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export { ROOT, ARTIFACTS } from './paths.mjs';
import { ROOT, ARTIFACTS } from './paths.mjs';
export const BASE_URL = process.env.GLASSBOX_URL || 'http://localhost:8080/';
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A fresh browser context (its own --user-data-dir). Close it with `await ctx.close()`. */
export async function launch({ viewport = { width: 1440, height: 900 } } = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-e2e-'));
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', ...FLAGS],
    viewport,
    acceptDownloads: true,
  });
  const close = ctx.close.bind(ctx);
  ctx.close = async () => {
    await close().catch(() => undefined);
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return ctx;
}

/** Opens the IDE and waits until it has set itself up (window.glassbox exists). */
export async function openIde(ctx, url = BASE_URL, { waitFor = 'engine-status' } = {}) {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.errors = errors;
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => window.glassbox !== undefined, null, { timeout: 20_000 });
  if (waitFor === 'engine-status') {
    // The worker reports a state other than "starting" once it has looked for the engine.
    await page.waitForFunction(() => !['starting', 'loading-engine'].includes(window.glassbox.machineState), null, { timeout: 20_000 });
  }
  return page;
}

/**
 * Keeps the page's console and page errors (`lines`, "type: text") and gives a
 * waitForFunction whose timeout error ends with the last 30 of them.
 */
export function watchConsole(page, defaultTimeout) {
  const lines = [];
  page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
  const waitFor = async (fn, arg, timeout = defaultTimeout) => {
    try {
      await page.waitForFunction(fn, arg, { timeout });
    } catch (e) {
      throw new Error(`${e.message}\npage console:\n${lines.slice(-30).join('\n')}`);
    }
  };
  return { lines, waitFor };
}

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
