// The demo in a real browser: runs the README's demo command (`bash scripts/demo`) on free ports,
// for the axum app and then the actix app, and drives it with headless Chromium (Debian's
// /usr/bin/chromium through playwright-core, which never downloads a browser):
//   two pages, two users; both in each other's member list (with their user_info); a message
//   posted in one shows in the other (decrypted from the private-encrypted- channel); the webhook
//   panel shows channel_occupied and member_added; closing one page drops that member from the
//   other's list and member_removed arrives; Ctrl-C stops the demo and everything it started.
// Screenshots of the two pages go to target/browser/.
//
//   node tests/browser/demo.js                 # both apps
//   BROWSER_APPS=actix node tests/browser/demo.js
//   CHROMIUM=/path/to/chromium node tests/browser/demo.js
//   DEMO_URL=http://127.0.0.1:3000/ node tests/browser/demo.js   # a demo you started yourself
//                                    (one app; not stopped; use fresh names: DEMO_NAMES=Ann,Bea)
//
// Prints PASS/FAIL for each check and ends with "N passed, N failed"; exits 1 on any failure.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'target', 'browser');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const APPS = (process.env.BROWSER_APPS || 'axum actix').split(/[\s,]+/).filter(Boolean);
// Generous: the first run builds the app; sockudo sends member_removed seconds after a close.
const READY_WITHIN_MS = 15 * 60 * 1000;
const WAIT_MS = 20 * 1000;
const SLOW_WAIT_MS = 60 * 1000;

let passed = 0;
let failed = 0;

async function check(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`PASS ${name}`);
    return true;
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${name}: ${String((error && error.message) || error).split('\n').slice(0, 6).join('\n    ')}`);
    return false;
  }
}

function freePorts(count) {
  return Promise.all(Array.from({ length: count }, () => new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  }))).then((servers) => Promise.all(servers.map((server) => new Promise((resolve) => {
    const { port } = server.address();
    server.close(() => resolve(port));
  }))));
}

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch (_) { return false; }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Starts `bash scripts/demo` in its own process group; resolves with its URL once it prints
// "DEMO READY <url>".
function startDemo(framework, appPort, sockudoPort) {
  const env = Object.assign({}, process.env, {
    DEMO_FRAMEWORK: framework,
    DEMO_PORT: String(appPort),
    DEMO_SOCKUDO_PORT: String(sockudoPort),
  });
  // The demo must run its own local sockudo, whatever the caller's environment says.
  for (const name of Object.keys(env)) {
    if (name.startsWith('PUSHER_') && name !== 'PUSHER_E2E_SOCKUDO') delete env[name];
  }
  const child = spawn('bash', [path.join(ROOT, 'scripts', 'demo')], {
    cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const demo = { child, output: '', pids: [], exited: null };
  const collect = (chunk) => {
    const text = chunk.toString();
    demo.output += text;
    for (const line of text.split('\n')) {
      if (line.trim()) process.stdout.write(`    [demo ${framework}] ${line}\n`);
    }
    const stopping = /stopping \(pids ([\d ]+)\)/.exec(demo.output);
    if (stopping) demo.pids = stopping[1].trim().split(/\s+/).map(Number);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  demo.done = new Promise((resolve) => child.on('exit', (code, signal) => {
    demo.exited = { code, signal };
    resolve(demo.exited);
  }));
  demo.ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "DEMO READY" within ${READY_WITHIN_MS / 1000} s`)), READY_WITHIN_MS);
    const look = () => {
      const match = /DEMO READY (\S+)/.exec(demo.output);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    };
    child.stdout.on('data', look);
    demo.done.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`scripts/demo exited (${code === null ? signal : code}) before it was ready`));
    });
  });
  return demo;
}

// Ctrl-C: SIGINT to the demo's whole process group, as a terminal does.
async function stopDemo(demo) {
  if (demo.exited) return demo.exited;
  try { process.kill(-demo.child.pid, 'SIGINT'); } catch (_) { /* already gone */ }
  const timeout = sleep(30000).then(() => null);
  const result = await Promise.race([demo.done, timeout]);
  if (result === null) {
    try { process.kill(-demo.child.pid, 'SIGKILL'); } catch (_) { /* gone */ }
    throw new Error('scripts/demo did not exit within 30 s of SIGINT');
  }
  return result;
}

async function signIn(context, url, name) {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.log(`    [page ${name}] error: ${error.message}`));
  await page.goto(url);
  await page.fill('#name', name);
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('#status[data-state="connected"]', { timeout: WAIT_MS });
  await page.waitForSelector('#whoami[data-signed-in="true"]', { timeout: WAIT_MS });
  await page.waitForSelector('#messages[data-ready="true"]', { timeout: WAIT_MS });
  return page;
}

async function members(page) {
  return page.$$eval('#members li', (items) => items.map((li) => ({
    id: li.dataset.user,
    name: li.querySelector('.member-name').textContent,
    colour: li.querySelector('.dot').style.background,
  })));
}

async function waitForMembers(page, ids, within) {
  const want = [...ids].sort().join(',');
  await page.waitForFunction(
    (expected) => [...document.querySelectorAll('#members li')].map((li) => li.dataset.user).sort().join(',') === expected,
    want, { timeout: within },
  ).catch(async () => {
    throw new Error(`member list is [${(await members(page)).map((m) => m.id)}], expected [${want}]`);
  });
}

async function waitForWebhook(page, selector, within) {
  await page.waitForSelector(`#webhooks ${selector}`, { timeout: within, state: 'attached' }).catch(async () => {
    const seen = await page.$$eval('#webhooks li', (items) => items.map((li) => li.textContent));
    throw new Error(`no webhook ${selector} within ${within / 1000} s; panel: ${JSON.stringify(seen)}`);
  });
}

async function waitForMessage(page, author, text) {
  await page.waitForFunction(
    ([who, what]) => [...document.querySelectorAll('#messages li')].some(
      (li) => li.dataset.user === who && li.querySelector('.text').textContent === what,
    ),
    [author, text], { timeout: WAIT_MS },
  ).catch(async () => {
    const seen = await page.$$eval('#messages li', (items) => items.map((li) => li.textContent));
    throw new Error(`${author}'s message ${JSON.stringify(text)} not shown; messages: ${JSON.stringify(seen)}`);
  });
}

async function post(page, text) {
  await page.fill('#message', text);
  await page.click('#message-form button[type=submit]');
}

// Both pages side by side in one picture: each page's screenshot in a third, blank page.
async function screenshotPair(browser, pages, file) {
  const shots = await Promise.all(pages.map((page) => page.screenshot()));
  const context = await browser.newContext({ viewport: { width: 1840, height: 600 } });
  const page = await context.newPage();
  const imgs = shots.map((shot) => `<img src="data:image/png;base64,${shot.toString('base64')}">`).join('');
  await page.setContent(`<html><body style="margin:0;background:#222;display:flex;gap:16px;padding:12px">${imgs}</body></html>`);
  await page.waitForFunction(() => [...document.images].every((img) => img.complete && img.naturalWidth > 0));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  await context.close();
}

async function runApp(browser, framework, givenUrl) {
  const external = Boolean(givenUrl);
  console.log(external
    ? `\n--- the demo at ${givenUrl} in headless Chromium`
    : `\n--- ${framework}: bash scripts/demo (DEMO_FRAMEWORK=${framework}) in headless Chromium`);
  const [appPort, sockudoPort] = await freePorts(2);
  const demo = external ? null : startDemo(framework, appPort, sockudoPort);
  let url = givenUrl;
  const contexts = [];
  try {
    if (!external && !await check(`${framework}: scripts/demo starts sockudo and the app and prints the URL`, async () => {
      url = await demo.ready;
      if (url !== `http://127.0.0.1:${appPort}/`) throw new Error(`printed ${url}`);
    })) return;

    // Each app gets its own demo (its own sockudo), so the names can be the same.
    const [ada, bob] = (process.env.DEMO_NAMES || 'Ada,Grace').split(',');
    let pageA;
    let pageB;
    if (!await check(`${framework}: two pages sign in as two users (session cookie, user authentication) and join the room`, async () => {
      for (let i = 0; i < 2; i += 1) contexts.push(await browser.newContext({ viewport: { width: 900, height: 560 } }));
      pageA = await signIn(contexts[0], url, ada);
      pageB = await signIn(contexts[1], url, bob);
    })) return;

    await check(`${framework}: each page lists both members, with the names and colours from user_info`, async () => {
      for (const page of [pageA, pageB]) {
        await waitForMembers(page, [ada, bob], WAIT_MS);
        for (const member of await members(page)) {
          if (member.name !== member.id) throw new Error(`member ${member.id} shown as ${member.name}`);
          if (!member.colour.startsWith('rgb')) throw new Error(`member ${member.id} has no colour: ${member.colour}`);
        }
      }
      const you = await pageA.$eval(`#members li[data-user="${ada}"] .me`, (el) => el.textContent).catch(() => null);
      if (you !== '(you)') throw new Error(`${ada}'s own entry is not marked (you)`);
    });

    await check(`${framework}: a message posted in one page appears in the other, decrypted (and in the sender's)`, async () => {
      const fromA = `hello from ${ada} <b>not bold</b> ✓`;
      await post(pageA, fromA);
      await waitForMessage(pageB, ada, fromA);
      await waitForMessage(pageA, ada, fromA);
      const fromB = `and back from ${bob}`;
      await post(pageB, fromB);
      await waitForMessage(pageA, bob, fromB);
      const bold = await pageB.$$('#messages b');
      if (bold.length !== 0) throw new Error('a message was rendered as HTML');
    });

    await check(`${framework}: the webhook panel shows channel_occupied and member_added for both users`, async () => {
      for (const page of [pageA, pageB]) {
        await waitForWebhook(page, 'li[data-name="channel_occupied"][data-channel="presence-chat"]', WAIT_MS);
        await waitForWebhook(page, `li[data-name="member_added"][data-user="${ada}"]`, WAIT_MS);
        await waitForWebhook(page, `li[data-name="member_added"][data-user="${bob}"]`, WAIT_MS);
      }
    });

    await check(`${framework}: refused without a session: posting a message (401), authorizing a channel (403)`, async () => {
      const anonymous = await browser.newContext();
      contexts.push(anonymous);
      const page = await anonymous.newPage();
      await page.goto(url);
      const statuses = await page.evaluate(async () => {
        const message = await fetch('/messages', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"x"}' });
        const auth = await fetch('/pusher/auth', {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'socket_id=1234.5678&channel_name=presence-chat',
        });
        return [message.status, auth.status];
      });
      if (statuses[0] !== 401 || statuses[1] !== 403) throw new Error(`answered ${statuses}`);
    });

    await check(`${framework}: screenshot of the two pages saved to target/browser/demo-${framework}.png`, async () => {
      const file = path.join(OUT, `demo-${framework}.png`);
      await screenshotPair(browser, [pageA, pageB], file);
      if (fs.statSync(file).size < 10000) throw new Error(`${file} is suspiciously small`);
    });

    await check(`${framework}: closing one page drops that member from the other's list, and member_removed arrives`, async () => {
      await contexts[1].close();
      await waitForMembers(pageA, [ada], WAIT_MS);
      // sockudo sends member_removed a few seconds after the disconnect.
      await waitForWebhook(pageA, `li[data-name="member_removed"][data-user="${bob}"]`, SLOW_WAIT_MS);
    });

    await check(`${framework}: signing out ends the session (the sign-in form is back, posting is refused)`, async () => {
      await pageA.click('#signout');
      await pageA.waitForSelector('#signin-form', { state: 'visible', timeout: WAIT_MS });
      const status = await pageA.evaluate(async () => (await fetch('/messages', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"x"}',
      })).status);
      if (status !== 401) throw new Error(`posting after signing out answered ${status}`);
    });
  } finally {
    for (const context of contexts) await context.close().catch(() => {});
    if (!external) await check(`${framework}: Ctrl-C stops scripts/demo and every process it started (ports closed)`, async () => {
      const { code, signal } = await stopDemo(demo);
      if (code !== 130) throw new Error(`scripts/demo exited with ${code === null ? signal : code}, expected 130`);
      if (demo.pids.length !== 2) throw new Error(`expected 2 pids in "stopping (pids …)", got [${demo.pids}]`);
      const left = demo.pids.filter(alive);
      if (left.length) throw new Error(`still running: ${left}`);
      for (const port of [appPort, sockudoPort]) {
        if (await portOpen(port)) throw new Error(`127.0.0.1:${port} still answers`);
      }
    });
  }
}

async function main() {
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`FAIL chromium: ${CHROMIUM} not found: run bash scripts/install-peers (apt-get install chromium)`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pusher-browser-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    // playwright-core gives the browser a fresh profile of its own (--user-data-dir in a
    // temporary folder); the contexts below are isolated from each other (own cookies).
    env: Object.assign({}, process.env, { HOME: userDataDir }),
  });
  try {
    if (process.env.DEMO_URL) {
      await runApp(browser, 'external', process.env.DEMO_URL);
    } else {
      for (const framework of APPS) {
        if (!['axum', 'actix'].includes(framework)) throw new Error(`BROWSER_APPS: unknown app ${framework}`);
        await runApp(browser, framework);
      }
    }
  } finally {
    await browser.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  console.log(`\nscreenshots: ${OUT}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((error) => {
  console.log(`FAIL browser test: ${error.stack || error}`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
