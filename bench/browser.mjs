// bench/browser.mjs — runs guest commands in headless Chromium for bench/run.py --browser.
//
// Builds the site (node web/build.mjs: the engine of build-wasm-web and the image of
// build/image), serves it with the dev server on a free port, opens the site's bench page
// (web/examples/bench.html: two machines, the JIT off and on, booted once) in Debian's
// Chromium through playwright-core, then answers one JSON request per line on stdin with
// one JSON line on stdout:
//
//   {"op":"put","jit":"on","path":"/tmp/x/prog","file":"/host/path"}   -> {"ok":true}
//   {"op":"run","jit":"off","argv":[...],"env":[...]}                   -> {"status":0,"ms":123.4,"stdout":"...","stderr":"..."}
//
// "ms" is measured by the machine (RunResult.ms: from the command's start to its exit),
// so the page's messages and the pipe add nothing. "boot" answers with the boot time.
// Errors answer {"error":"..."}; end of stdin closes the browser and the server.
//
//   node bench/browser.mjs [--no-build]      (normally started by bench/run.py --browser)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { launch, ROOT } from '../tests/e2e/lib/browser.mjs';
import { startServer } from '../tests/e2e/lib/server.mjs';

const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const log = (s) => process.stderr.write(`browser bench: ${s}\n`);

if (!process.argv.includes('--no-build')) {
  const b = spawnSync(process.execPath, [path.join(ROOT, 'web/build.mjs'), '--quiet'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (b.status !== 0) {
    log('node web/build.mjs failed');
    process.exit(1);
  }
}
const site = path.join(ROOT, 'build/site');
const server = await startServer(site);
const ctx = await launch();
const page = ctx.pages()[0] ?? (await ctx.newPage());
page.on('pageerror', (e) => log(`page error: ${e}`));
await page.goto(new URL('examples/bench.html', server.url).href, { waitUntil: 'load' });
await page.waitForFunction(() => window.glassboxBench !== undefined, null, { timeout: 60_000 });
log(`Chromium ${ctx.browser()?.version() ?? ''} at ${server.url}examples/bench.html`);

async function answer(req) {
  switch (req.op) {
    case 'boot':
      return { ms: await page.evaluate((jit) => window.glassboxBench.boot(jit), req.jit) };
    case 'put': {
      const dir = path.posix.dirname(req.path);
      const mk = await page.evaluate(([jit, d]) => window.glassboxBench.run(jit, ['/bin/mkdir', '-p', d]), [req.jit, dir]);
      if (mk.status !== 0) return { error: `mkdir -p ${dir}: ${mk.stderr}` };
      const b64 = fs.readFileSync(req.file).toString('base64');
      await page.evaluate(([jit, p, b]) => window.glassboxBench.put(jit, p, b), [req.jit, req.path, b64]);
      return { ok: true };
    }
    case 'run':
      return await page.evaluate(([jit, argv, env, cwd]) => window.glassboxBench.run(jit, argv, { env, cwd, uid: 0 }),
        [req.jit, req.argv, req.env, req.cwd]);
    default:
      return { error: `unknown op ${req.op}` };
  }
}

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  try {
    say(await answer(JSON.parse(line)));
  } catch (e) {
    say({ error: String(e?.message ?? e) });
  }
}
await ctx.close();
server.proc.kill();
