// The chat demo's page, shared by chat_axum and chat_actix: plain JS, no build step.
// The server decides who you are (a session cookie), authorizes pusher-js for the presence room
// and the end-to-end encrypted message channel, and triggers every message itself.
'use strict';

const $ = (id) => document.getElementById(id);

async function request(method, url, body) {
  const init = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
  if (!response.ok) {
    throw new Error((json && json.error) || `${response.status} ${response.statusText}`);
  }
  return json;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text; // never innerHTML: names and messages are user input
  return node;
}

function time(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// ---- the webhook panel: a long poll on /webhooks/log (not a Pusher event, so showing a webhook
// never causes another one) ----
async function followWebhooks() {
  let after = 0;
  for (;;) {
    try {
      const answer = await request('GET', `/webhooks/log?after=${after}`);
      for (const event of answer.events) {
        after = Math.max(after, event.seq);
        const item = element('li');
        item.dataset.name = event.name;
        item.dataset.channel = event.channel || '';
        if (event.user_id) item.dataset.user = event.user_id;
        item.append(element('span', 'time', time(event.received_ms) + ' '));
        item.append(element('span', 'name', event.name));
        const detail = [event.channel, event.user_id].filter(Boolean).join(' · ');
        item.append(document.createTextNode(' ' + detail));
        $('webhooks').prepend(item);
      }
      const shown = $('webhooks').children.length;
      if (shown) $('webhook-count').textContent = `(${shown})`;
    } catch (_) {
      await new Promise((resolve) => setTimeout(resolve, 2000)); // the app restarting: try again
    }
  }
}

// ---- the member list of the presence room ----
function renderMembers(channel) {
  const list = $('members');
  list.replaceChildren();
  const members = [];
  channel.members.each((member) => members.push(member));
  members.sort((a, b) => String(a.id).localeCompare(String(b.id)));
  for (const member of members) {
    const info = member.info || {};
    const item = element('li');
    item.dataset.user = member.id;
    const dot = element('span', 'dot');
    dot.style.background = info.colour || '#999';
    item.append(dot, element('span', 'member-name', info.name || member.id));
    if (member.id === channel.members.me.id) item.append(element('span', 'me', '(you)'));
    list.append(item);
  }
  $('member-count').textContent = `(${members.length})`;
}

// ---- messages, decrypted by pusher-js from the private-encrypted- channel ----
function showMessage(message) {
  const item = element('li');
  item.dataset.user = message.user;
  item.append(element('span', 'time', time(message.at)));
  const author = element('span', 'author', message.user);
  author.style.color = message.colour || 'inherit';
  item.append(author, element('span', 'text', message.text));
  const list = $('messages');
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

// ---- the message box: the limit from /config.json, counted as the server counts it (characters,
// i.e. code points, of the trimmed text); nothing typed or pasted is ever cut ----
let session = null; // { config, pusher } once signed in
let limitNotice = false; // whether #message-error shows the limit notice

function messageLimit() {
  return (session && session.config.limits && session.config.limits.message) || 500;
}

// The same words as the server's answer: one rule, in characters.
function limitText(chars) {
  return `The limit is ${messageLimit()} characters; this one has ${chars}.`;
}

function countMessage() {
  const chars = [...$('message').value.trim()].length;
  const limit = messageLimit();
  const over = chars > limit;
  const count = $('message-count');
  count.textContent = `${chars} / ${limit}`;
  count.dataset.over = String(over);
  if (over) {
    $('message-error').textContent = limitText(chars);
    limitNotice = true;
  } else if (limitNotice) {
    $('message-error').textContent = '';
    limitNotice = false;
  }
  return { chars, over };
}

async function sendMessage() {
  if (!session) return; // the box is hidden until then; a submit changes nothing
  const input = $('message');
  const { chars, over } = countMessage();
  if (over) {
    $('message-error').textContent = limitText(chars);
    input.focus();
    return;
  }
  $('message-error').textContent = '';
  limitNotice = false;
  try {
    await request('POST', '/messages', { text: input.value });
    input.value = '';
    countMessage();
  } catch (error) {
    $('message-error').textContent = error.message;
  }
}

function setStatus(text, state) {
  $('status').hidden = false;
  $('status').textContent = text;
  $('status').dataset.state = state;
}

function start(config) {
  $('signin').hidden = true;
  $('chat').hidden = false;
  $('signout').hidden = false;
  $('room-name').textContent = config.room;
  $('whoami').replaceChildren(element('span', 'who-name', config.user.info.name));

  const pusher = new Pusher(config.key, Object.assign({}, config.options, {
    channelAuthorization: { endpoint: '/pusher/auth', transport: 'ajax' },
    userAuthentication: { endpoint: '/pusher/user-auth', transport: 'ajax' },
  }));
  window.chatPusher = pusher; // for the curious, in the browser console
  session = { config, pusher };
  countMessage();

  setStatus('connecting…', 'connecting');
  pusher.connection.bind('state_change', ({ current }) => setStatus(current, current));
  // User authentication: the server signs this connection in as the session's user.
  pusher.bind('pusher:signin_success', () => {
    $('whoami').replaceChildren(
      element('span', 'who-name', config.user.info.name),
      element('span', 'who-state', ' (signed in)'),
    );
    $('whoami').dataset.signedIn = 'true';
  });
  pusher.signin();

  const room = pusher.subscribe(config.room);
  room.bind('pusher:subscription_succeeded', () => renderMembers(room));
  room.bind('pusher:member_added', () => renderMembers(room));
  room.bind('pusher:member_removed', () => renderMembers(room));
  room.bind('pusher:subscription_error', (error) => {
    $('message-error').textContent = `cannot join ${config.room}: ${error.status || error.type}`;
  });

  const messages = pusher.subscribe(config.messages);
  messages.bind(config.event, showMessage);
  messages.bind('pusher:subscription_succeeded', () => { $('messages').dataset.ready = 'true'; });
  messages.bind('pusher:subscription_error', (error) => {
    $('message-error').textContent = `cannot subscribe to ${config.messages}: ${error.status || error.type}`;
  });

  $('signout').addEventListener('click', async () => {
    pusher.disconnect();
    await request('DELETE', '/session').catch(() => {});
    location.reload();
  });
}

async function main() {
  // Both forms are handled here from the start (never sent by the browser itself), whatever the
  // state: the message form does nothing until signed in.
  let config = null;
  $('message-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sendMessage();
  });
  $('message').addEventListener('input', countMessage);
  $('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!config || session) return;
    $('signin-error').textContent = '';
    try {
      const answer = await request('POST', '/session', { name: $('name').value });
      start(Object.assign(config, { user: answer.user }));
    } catch (error) {
      $('signin-error').textContent = error.message;
    }
  });

  followWebhooks();
  config = await request('GET', '/config.json');
  if (config.user) {
    start(config);
    return;
  }
  $('signin').hidden = false;
  $('name').focus();
}

main().catch((error) => setStatus(`error: ${error.message}`, 'failed'));
