// The IDE's terminal as the tests see it: its text, waiting for output, typing commands.
export const PROMPT = /student@glassbox:~\$ ?$/;

export const termText = (page) =>
  page.evaluate(() => {
    const b = window.glassbox.terminal.term.buffer.active;
    let s = '';
    for (let i = 0; i < b.length; i++) s += b.getLine(i).translateToString(true) + '\n';
    return s.replace(/\n+$/, '');
  });

export async function waitTerm(page, re, timeout = 60_000) {
  const end = Date.now() + timeout;
  let t = '';
  while (Date.now() < end) {
    t = await termText(page);
    if (re.test(t)) return t;
    await page.waitForTimeout(50);
  }
  throw new Error(`terminal never matched ${re}:\n${t.slice(-2000)}`);
}

/** Types a command line; with `re`, waits until it matches the text after it. */
export async function run(page, cmd, re, timeout = 60_000) {
  const before = (await termText(page)).length;
  await page.keyboard.press('Control+Backquote');
  await page.keyboard.type(cmd);
  const t0 = Date.now();
  await page.keyboard.press('Enter');
  if (!re) return { text: '', ms: 0 };
  const end = Date.now() + timeout;
  let t = '';
  while (Date.now() < end) {
    t = (await termText(page)).slice(before);
    if (re.test(t)) return { text: t, ms: Date.now() - t0 };
    await page.waitForTimeout(20);
  }
  throw new Error(`after \`${cmd}\` the terminal never matched ${re}:\n${t.slice(-2000)}`);
}
