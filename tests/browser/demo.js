// The demo in a real browser: runs the README's demo command (`bash scripts/demo`) on free ports,
// for the axum app and then the actix app, and drives it with headless Chromium (Debian's
// /usr/bin/chromium through playwright-core, which never downloads a browser):
//   before sign-in only the sign-in card shows (no room, message box or Send; submitting changes
//   nothing, the URL least of all); two pages, two users; both in each other's member list (with
//   their user_info); a message posted in one shows in the other (decrypted from the
//   private-encrypted- channel), HTML in it shown as text; the webhook panel shows
//   channel_occupied and member_added; at a phone's 390 px the page has no horizontal scroll, the
//   columns stack and the header is one line; timestamps on one line, every webhook row
//   reachable, the message field labelled; a paste over the limit is kept whole, counted and
//   refused with the server's words; closing one page drops that member from the other's list
//   and member_removed arrives; Ctrl-C (with a page still signed in) stops the demo and
//   everything it started within a few seconds, nothing killed.
// Screenshots go to target/browser/: the two pages side by side (demo-APP.png), the chat and the
// sign-in card at 390 px (demo-narrow-APP.png, demo-signin-narrow-APP.png).
//
//   node tests/browser/demo.js                 # both apps
//   BROWSER_APPS=actix node tests/browser/demo.js
//   CHROMIUM=/path/to/chromium node tests/browser/demo.js
//   DEMO_URL=http://127.0.0.1:3000/ node tests/browser/demo.js   # a demo you started yourself
//                                    (one app; not stopped; use fresh names: DEMO_NAMES=Ann,Bea)
//
// Prints PASS/FAIL for each check and ends with "N passed, N failed"; exits 1 on any failure.
// The Ctrl-C check also prints how long the stop took.
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
// From Ctrl-C to scripts/demo and everything it started gone: about 3 s (sockudo delivers its
// last webhooks, member_removed among them about 3 s after a page's connection ends, then the
// app stops). A bound against regressions, not a benchmark: with actix stopping before sockudo,
// sockudo retried its webhooks for 10 s until it was killed.
const STOP_WITHIN_MS = 8 * 1000;
const DESKTOP = { width: 900, height: 560 };
const PHONE = { width: 390, height: 844 };

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

// Ctrl-C: SIGINT to the demo's whole process group, as a terminal does. Resolves with how the
// script exited and how long it took (every process it started gone: it waits for them).
async function stopDemo(demo) {
  if (demo.exited) return Object.assign({ ms: 0 }, demo.exited);
  const started = Date.now();
  try { process.kill(-demo.child.pid, 'SIGINT'); } catch (_) { /* already gone */ }
  const timeout = sleep(STOP_WITHIN_MS).then(() => null);
  const result = await Promise.race([demo.done, timeout]);
  if (result === null) {
    // The processes it started run in a session of their own: kill them one by one too.
    for (const pid of demo.pids) { try { process.kill(pid, 'SIGKILL'); } catch (_) { /* gone */ } }
    try { process.kill(-demo.child.pid, 'SIGKILL'); } catch (_) { /* gone */ }
    throw new Error(`scripts/demo did not exit within ${STOP_WITHIN_MS / 1000} s of SIGINT`);
  }
  return Object.assign({ ms: Date.now() - started }, result);
}

async function openPage(context, url, name) {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.log(`    [page ${name}] error: ${error.message}`));
  await page.goto(url);
  await page.waitForSelector('#signin', { state: 'visible', timeout: WAIT_MS });
  return page;
}

async function signIn(context, url, name, existing) {
  const page = existing || await openPage(context, url, name);
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

// Records the page's POST /messages requests and its main-frame navigations from now on.
function watchRequests(page) {
  const seen = { posts: 0, navigations: [] };
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/messages') seen.posts += 1;
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) seen.navigations.push(frame.url());
  });
  return seen;
}

// The lines each element's text takes (distinct tops of its text's line boxes), by selector.
async function lineCounts(page, selector) {
  return page.$$eval(selector, (elements) => elements.map((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
    return { text: el.textContent, lines: tops.size };
  }));
}

async function assertOneLine(page, selector) {
  const counts = await lineCounts(page, selector);
  if (counts.length === 0) throw new Error(`no ${selector} on the page`);
  const wrapped = counts.filter((c) => c.lines !== 1);
  if (wrapped.length) throw new Error(`${selector} not on one line: ${JSON.stringify(wrapped)}`);
}

// What the layout looks like at the page's current viewport: the document's width against the
// viewport's, and the boxes of the given elements (visible ones only).
async function layout(page, selectors) {
  return page.evaluate((list) => ({
    viewport: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    boxes: Object.fromEntries(list.map((selector) => {
      const el = document.querySelector(selector);
      if (!el || el.offsetParent === null && getComputedStyle(el).position !== 'fixed') return [selector, null];
      const r = el.getBoundingClientRect();
      return [selector, { left: r.left, right: r.right, top: r.top, bottom: r.bottom, height: r.height }];
    })),
  }), selectors);
}

function assertInViewport(found, selectors) {
  if (found.scrollWidth > found.viewport) {
    throw new Error(`the page is ${found.scrollWidth} px wide in a ${found.viewport} px viewport (horizontal scroll)`);
  }
  for (const selector of selectors) {
    const box = found.boxes[selector];
    if (!box) throw new Error(`${selector} is not shown`);
    if (box.left < 0 || box.right > found.viewport + 0.5) {
      throw new Error(`${selector} spans x ${box.left}..${box.right}, outside the ${found.viewport} px viewport`);
    }
  }
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
  // A page still signed in when Ctrl-C comes, as a person would leave it: closed after the stop.
  let keptOpen = null;
  const newContext = async (viewport) => {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    return context;
  };
  try {
    if (!external && !await check(`${framework}: scripts/demo starts sockudo and the app and prints the URL`, async () => {
      url = await demo.ready;
      if (url !== `http://127.0.0.1:${appPort}/`) throw new Error(`printed ${url}`);
    })) return;

    // Each app gets its own demo (its own sockudo), so the names can be the same.
    const [ada, bob, cy = 'Lin'] = (process.env.DEMO_NAMES || 'Ada,Grace,Lin').split(',');
    let pageA;
    let pageB;
    let watchA;

    await check(`${framework}: before sign-in only the sign-in card shows: no room, message box or Send, no "starting…"; submitting either form changes nothing (the URL least of all)`, async () => {
      pageA = await openPage(await newContext(DESKTOP), url, ada);
      watchA = watchRequests(pageA);
      for (const selector of ['#chat', '#messages', '#message', '#message-form button[type=submit]', '#signout']) {
        if (await pageA.isVisible(selector)) throw new Error(`${selector} is visible before sign-in`);
      }
      if (!await pageA.isVisible('#name')) throw new Error('the name field is not visible');
      const status = await pageA.$eval('#status', (el) => ({ shown: el.offsetParent !== null, text: el.textContent }));
      if (status.shown && /starting/i.test(status.text)) throw new Error(`the status pill says ${JSON.stringify(status.text)}`);
      const methods = await pageA.$$eval('form', (forms) => forms.map((f) => `${f.id}:${f.method}`));
      if (methods.some((m) => !m.endsWith(':post'))) throw new Error(`a form would send by GET (into the URL): ${methods}`);
      // The hidden message form, submitted anyway (as Enter in it would), and Enter in the empty
      // name field.
      await pageA.evaluate(() => {
        document.getElementById('message').value = 'a secret before sign-in';
        document.getElementById('message-form').requestSubmit();
      });
      await pageA.press('#name', 'Enter');
      await pageA.evaluate(() => fetch('/config.json').then((r) => r.text())); // a round trip
      await pageA.evaluate(() => { document.getElementById('message').value = ''; });
      if (pageA.url() !== url) throw new Error(`the URL became ${pageA.url()}`);
      if (watchA.navigations.length) throw new Error(`the page navigated: ${watchA.navigations}`);
      if (watchA.posts) throw new Error('a message was posted before sign-in');
    });

    await check(`${framework}: a hostile name is refused by the server and its answer shown as text`, async () => {
      await pageA.evaluate(() => {
        const name = document.getElementById('name');
        name.removeAttribute('pattern'); // past the browser's own check, as a hand-made request is
        name.value = '<b>Eve</b>'; // within the 20 characters: refused for its '<'
        document.getElementById('signin-form').requestSubmit();
      });
      await pageA.waitForFunction(() => document.getElementById('signin-error').textContent !== '', null, { timeout: WAIT_MS });
      const error = await pageA.$eval('#signin-error', (el) => ({ text: el.textContent, markup: el.querySelectorAll('*').length }));
      if (!error.text.includes("'<'") || error.markup !== 0) throw new Error(`shown as ${JSON.stringify(error)}`);
      if (await pageA.isVisible('#message')) throw new Error('the chat shows after a refused sign-in');
      await pageA.fill('#name', '');
    });

    await check(`${framework}: a pasted name over the limit is kept whole (no maxlength cutting it) and refused by the server with the limit`, async () => {
      const long = 'abcdefghijklmnopqrstuvwxy'; // 25 characters, all allowed ones
      await pageA.fill('#name', long);
      const kept = await pageA.inputValue('#name');
      if (kept !== long) throw new Error(`the field kept ${JSON.stringify(kept)}`);
      await pageA.evaluate(() => document.getElementById('signin-form').requestSubmit());
      await pageA.waitForFunction(() => document.getElementById('signin-error').textContent.includes('25'), null, { timeout: WAIT_MS });
      const text = await pageA.textContent('#signin-error');
      if (!text.includes('the limit is 20 characters')) throw new Error(`shown as ${JSON.stringify(text)}`);
      if (await pageA.isVisible('#message')) throw new Error('the chat shows after a refused sign-in');
      await pageA.fill('#name', '');
    });

    await check(`${framework}: at a phone's 390 px the sign-in card fits (no horizontal scroll); screenshot target/browser/demo-signin-narrow-${framework}.png`, async () => {
      const page = await openPage(await newContext(PHONE), url, 'narrow');
      const found = await layout(page, ['#signin', '#name', '#signin-form button[type=submit]', 'header h1']);
      assertInViewport(found, ['#signin', '#name', '#signin-form button[type=submit]', 'header h1']);
      fs.mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: path.join(OUT, `demo-signin-narrow-${framework}.png`) });
      await page.close();
    });

    if (!await check(`${framework}: two pages sign in as two users (session cookie, user authentication) and join the room; the URL stays the same`, async () => {
      if (!pageA) pageA = await openPage(await newContext(DESKTOP), url, ada);
      if (!watchA) watchA = watchRequests(pageA);
      pageA = await signIn(null, url, ada, pageA);
      pageB = await signIn(await newContext(DESKTOP), url, bob);
      for (const page of [pageA, pageB]) {
        if (page.url() !== url) throw new Error(`signing in changed the URL to ${page.url()}`);
      }
      for (const selector of ['#messages', '#message', '#message-form button[type=submit]']) {
        if (!await pageA.isVisible(selector)) throw new Error(`${selector} is not visible once signed in`);
      }
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

    await check(`${framework}: a message posted in one page appears in the other, decrypted (and in the sender's), HTML shown as text`, async () => {
      const fromA = `hello from ${ada} <b>not bold</b>`;
      await post(pageA, fromA);
      await waitForMessage(pageB, ada, fromA);
      await waitForMessage(pageA, ada, fromA);
      const fromB = `and back from ${bob} ✓`;
      await post(pageB, fromB);
      await waitForMessage(pageA, bob, fromB);
      const markup = await pageB.$$('#messages b');
      if (markup.length !== 0) throw new Error('a message was rendered as HTML');
    });

    await check(`${framework}: the webhook panel shows channel_occupied and member_added for both users`, async () => {
      for (const page of [pageA, pageB]) {
        await waitForWebhook(page, 'li[data-name="channel_occupied"][data-channel="presence-chat"]', WAIT_MS);
        await waitForWebhook(page, `li[data-name="member_added"][data-user="${ada}"]`, WAIT_MS);
        await waitForWebhook(page, `li[data-name="member_added"][data-user="${bob}"]`, WAIT_MS);
      }
    });

    await check(`${framework}: refused without a session: posting a message (401), authorizing a channel (403)`, async () => {
      const page = await (await newContext(DESKTOP)).newPage();
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

    await check(`${framework}: at a phone's 390 px: no horizontal scroll, the columns stacked within the width, the header on one line; screenshot target/browser/demo-narrow-${framework}.png`, async () => {
      await pageA.setViewportSize(PHONE);
      const parts = ['header', 'header h1', '#status', '#whoami', '#signout', 'section.room', '#message', '#message-form button[type=submit]', '#members', '#webhooks'];
      const found = await layout(pageA, parts);
      assertInViewport(found, parts);
      const { boxes } = found;
      if (!(boxes['#members'].top >= boxes['section.room'].bottom)) throw new Error('the members panel is not below the room');
      // One line: every header item's text on a single line, all of them side by side.
      for (const selector of ['header h1', '#status', '#whoami', '#signout']) await assertOneLine(pageA, selector);
      const middles = ['header h1', '#status', '#whoami', '#signout'].map((s) => (boxes[s].top + boxes[s].bottom) / 2);
      if (Math.max(...middles) - Math.min(...middles) > 4) throw new Error(`the header items are not on one row: ${middles}`);
      await assertOneLine(pageA, '#messages .time');
      await pageA.screenshot({ path: path.join(OUT, `demo-narrow-${framework}.png`), fullPage: true });
      await pageA.setViewportSize(DESKTOP);
    });

    await check(`${framework}: timestamps (messages and webhooks) each on one line, at 900 and 390 px, beside a long link (and an <img onerror> shown as text); every webhook row reachable in its framed list, counted in the heading`, async () => {
      // A long unbroken word (a link, say) once wrapped the timestamp before it.
      const link = `https://example.com/${'a'.repeat(150)}`;
      await post(pageB, link);
      await waitForMessage(pageA, bob, link);
      // (And a message that would run script, were it HTML.)
      const script = '<img src=x onerror="document.body.dataset.pwned=1">';
      await post(pageB, script);
      await waitForMessage(pageA, bob, script);
      if (await pageA.$('#messages img') || await pageA.evaluate(() => document.body.dataset.pwned)) {
        throw new Error('a message was rendered as HTML');
      }
      for (const viewport of [DESKTOP, PHONE]) {
        await pageA.setViewportSize(viewport);
        await assertOneLine(pageA, '#messages .time');
        await assertOneLine(pageA, '#webhooks .time');
      }
      await pageA.setViewportSize(DESKTOP);
      const panel = await pageA.evaluate(() => {
        const list = document.getElementById('webhooks');
        list.scrollTop = list.scrollHeight;
        const box = list.getBoundingClientRect();
        const inner = box.top + list.clientTop + list.clientHeight;
        const last = list.lastElementChild.getBoundingClientRect();
        const section = list.closest('section');
        const inside = section.getBoundingClientRect().bottom - parseFloat(getComputedStyle(section).paddingBottom);
        return {
          last: last.bottom, inner, list: box.bottom, inside,
          rows: list.children.length, count: document.getElementById('webhook-count').textContent,
        };
      });
      if (panel.last > panel.inner + 1) throw new Error(`scrolled to the end, the last row ends at ${panel.last}, below the list's ${panel.inner}`);
      if (panel.list > panel.inside + 0.5) throw new Error(`the list (to ${panel.list}) runs into its panel's edge (content to ${panel.inside})`);
      if (panel.count !== `(${panel.rows})`) throw new Error(`the heading counts ${panel.count} for ${panel.rows} rows`);
    });

    await check(`${framework}: the message field is labelled ("Message"), with a counter of the limit from /config.json`, async () => {
      const id = await pageA.getByLabel('Message', { exact: true }).evaluate((el) => el.id);
      if (id !== 'message') throw new Error(`the label "Message" is on #${id}`);
      const limit = await pageA.evaluate(async () => (await (await fetch('/config.json')).json()).limits.message);
      await pageA.fill('#message', 'hi');
      const count = await pageA.textContent('#message-count');
      if (count !== `2 / ${limit}`) throw new Error(`counter ${JSON.stringify(count)}, expected "2 / ${limit}"`);
      await pageA.fill('#message', '');
    });

    await check(`${framework}: a paste over the limit is kept whole, counted, and refused with a notice in the server's words (nothing sent, nothing cut); one at the limit is sent`, async () => {
      const limit = await pageA.evaluate(async () => (await (await fetch('/config.json')).json()).limits.message);
      const long = 'x'.repeat(limit + 112);
      await pageA.focus('#message');
      await pageA.keyboard.insertText(long); // as a paste does
      const value = await pageA.inputValue('#message');
      if (value.length !== long.length) throw new Error(`the field holds ${value.length} of the ${long.length} characters pasted`);
      const counter = await pageA.$eval('#message-count', (el) => ({ text: el.textContent, over: el.dataset.over }));
      if (counter.text !== `${long.length} / ${limit}` || counter.over !== 'true') throw new Error(`counter ${JSON.stringify(counter)}`);
      const posts = watchA.posts;
      await pageA.click('#message-form button[type=submit]');
      const notice = await pageA.textContent('#message-error');
      const rule = `limit is ${limit} characters`;
      if (!notice.includes(rule) || !notice.includes(String(long.length))) throw new Error(`notice ${JSON.stringify(notice)}`);
      if (watchA.posts !== posts) throw new Error('an over-limit message was sent');
      if ((await pageA.inputValue('#message')).length !== long.length) throw new Error('the field was cut or cleared');
      // The server's answers, counted or too large to read: the same rule.
      const answers = await pageA.evaluate(async (texts) => Promise.all(texts.map(async (text) => {
        const r = await fetch('/messages', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text }) });
        return `${r.status} ${(await r.json()).error}`;
      })), [long, 'é'.repeat(6000)]);
      for (const answer of answers) {
        if (!answer.startsWith('400 ') || !answer.includes(rule)) throw new Error(`server answered ${JSON.stringify(answer)}, not "${rule}"`);
      }
      // Exactly at the limit (2-byte characters): sent, shown whole on the other page.
      const atLimit = 'é'.repeat(limit);
      await pageA.fill('#message', '');
      await pageA.keyboard.insertText(atLimit);
      const ok = await pageA.$eval('#message-count', (el) => ({ text: el.textContent, over: el.dataset.over }));
      if (ok.text !== `${limit} / ${limit}` || ok.over !== 'false') throw new Error(`counter at the limit ${JSON.stringify(ok)}`);
      if (await pageA.textContent('#message-error') !== '') throw new Error('the notice stayed once under the limit');
      await pageA.click('#message-form button[type=submit]');
      await waitForMessage(pageB, ada, atLimit);
    });

    await check(`${framework}: closing one page drops that member from the other's list, and member_removed arrives`, async () => {
      await pageB.context().close();
      await waitForMembers(pageA, [ada], WAIT_MS);
      // sockudo sends member_removed a few seconds after the disconnect.
      await waitForWebhook(pageA, `li[data-name="member_removed"][data-user="${bob}"]`, SLOW_WAIT_MS);
    });

    await check(`${framework}: signing out ends the session (the sign-in form is back, posting is refused)`, async () => {
      await pageA.click('#signout');
      await pageA.waitForSelector('#signin-form', { state: 'visible', timeout: WAIT_MS });
      if (await pageA.isVisible('#message')) throw new Error('the message box shows after signing out');
      const status = await pageA.evaluate(async () => (await fetch('/messages', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"x"}',
      })).status);
      if (status !== 401) throw new Error(`posting after signing out answered ${status}`);
    });

    if (!external) {
      await check(`${framework}: a third page signs in and stays open for Ctrl-C`, async () => {
        keptOpen = await browser.newContext({ viewport: DESKTOP });
        await signIn(keptOpen, url, cy);
      });
    }
  } finally {
    for (const context of contexts) await context.close().catch(() => {});
    if (!external) {
      await check(`${framework}: Ctrl-C stops scripts/demo and every process it started (ports closed) within ${STOP_WITHIN_MS / 1000} s, nothing killed`, async () => {
        const { code, signal, ms } = await stopDemo(demo);
        console.log(`    [demo ${framework}] stopped ${(ms / 1000).toFixed(1)} s after Ctrl-C`);
        if (code !== 130) throw new Error(`scripts/demo exited with ${code === null ? signal : code}, expected 130`);
        if (demo.pids.length !== 2) throw new Error(`expected 2 pids in "stopping (pids …)", got [${demo.pids}]`);
        const left = demo.pids.filter(alive);
        if (left.length) throw new Error(`still running: ${left}`);
        for (const port of [appPort, sockudoPort]) {
          if (await portOpen(port)) throw new Error(`127.0.0.1:${port} still answers`);
        }
        if (/killing it/.test(demo.output)) throw new Error('a process had to be killed (SIGKILL): it did not stop on TERM');
        if (!/demo: stopped/.test(demo.output)) throw new Error('scripts/demo did not report "stopped"');
      });
    }
    if (keptOpen) await keptOpen.close().catch(() => {});
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
