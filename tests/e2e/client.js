// One pusher-js (node build) client, driven by the end-to-end test.
//
//   node client.js '{"key":"app-key","host":"127.0.0.1","port":6001,"app":"http://127.0.0.1:3000","user":"alice"}'
//
// Reads commands, one JSON object a line, on stdin:
//   {"op":"subscribe","channel":"presence-room"}   {"op":"unsubscribe","channel":"..."}
//   {"op":"signin"}                                 {"op":"disconnect"}
// and prints what it observes, one JSON object a line, on stdout (pusher-js's own log goes to
// stderr):
//   {"ev":"connected","socket_id":"1.2"}            {"ev":"state","previous":..,"current":..}
//   {"ev":"subscribed","channel":..,"members":[{"id":..,"info":..}],"me":{..}}   (presence only: members, me)
//   {"ev":"subscription_error","channel":..,"status":403}
//   {"ev":"member_added","channel":..,"id":..,"info":..}   {"ev":"member_removed","channel":..,"id":..}
//   {"ev":"event","channel":..,"event":..,"data":..}      (data as pusher-js delivers it: decrypted, JSON parsed)
//   {"ev":"signed_in","user_data":{..}}  {"ev":"signin_error","status":..}
//   {"ev":"user_event","event":..,"data":..}        {"ev":"error","code":4009,"message":..}
// stdin closing ends the process.
'use strict';

const readline = require('readline');
const Pusher = require('pusher-js'); // the node build; it bundles tweetnacl for private-encrypted- channels

const config = JSON.parse(process.argv[2]);

function emit(record) {
  process.stdout.write(JSON.stringify(record) + '\n');
}

Pusher.log = (message) => process.stderr.write(`[pusher-js ${config.user}] ${message}\n`);

// The app resolves the user from this header (see the example apps' `current_user`).
const headers = { 'x-user-id': config.user };
const pusher = new Pusher(config.key, {
  cluster: 'local', // required by pusher-js 8; wsHost decides where it connects
  wsHost: config.host,
  wsPort: config.port,
  forceTLS: false,
  enabledTransports: ['ws'],
  disableStats: true,
  channelAuthorization: { endpoint: `${config.app}/pusher/auth`, transport: 'ajax', headers },
  userAuthentication: { endpoint: `${config.app}/pusher/user-auth`, transport: 'ajax', headers },
});

pusher.connection.bind('state_change', ({ previous, current }) => {
  emit({ ev: 'state', previous, current });
  if (current === 'connected') {
    emit({ ev: 'connected', socket_id: pusher.connection.socket_id });
  }
});

pusher.connection.bind('error', (error) => {
  const data = (error && error.data) || {};
  emit({ ev: 'error', code: data.code === undefined ? null : data.code, message: data.message || String(error && error.type) });
});

function members(channel) {
  const list = [];
  channel.members.each((member) => list.push({ id: member.id, info: member.info }));
  list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return list;
}

function subscribe(name) {
  const channel = pusher.subscribe(name);
  channel.bind('pusher:subscription_succeeded', () => {
    const record = { ev: 'subscribed', channel: name };
    if (name.startsWith('presence-')) {
      record.members = members(channel);
      record.me = channel.members.me;
    }
    emit(record);
  });
  channel.bind('pusher:subscription_error', (error) => {
    emit({ ev: 'subscription_error', channel: name, status: error && error.status, error: error && error.error });
  });
  channel.bind('pusher:member_added', (member) => {
    emit({ ev: 'member_added', channel: name, id: member.id, info: member.info });
  });
  channel.bind('pusher:member_removed', (member) => {
    emit({ ev: 'member_removed', channel: name, id: member.id });
  });
  channel.bind_global((event, data) => {
    if (event.startsWith('pusher:') || event.startsWith('pusher_internal:')) return;
    emit({ ev: 'event', channel: name, event, data });
  });
}

async function signin() {
  pusher.user.bind('pusher:signin_error', (error) => {
    emit({ ev: 'signin_error', status: error && error.status, error: error && error.error });
  });
  pusher.user.bind_global((event, data) => {
    if (event.startsWith('pusher:')) return;
    emit({ ev: 'user_event', event, data });
  });
  pusher.signin();
  await pusher.user.signinDonePromise;
  if (!pusher.user.user_data) return; // signin_error was printed
  // Signed in once the server-to-user channel that carries send_to_user events is subscribed.
  const deadline = Date.now() + 5000;
  while (!(pusher.user.serverToUserChannel && pusher.user.serverToUserChannel.subscribed)) {
    if (Date.now() > deadline) {
      emit({ ev: 'signin_error', status: null, error: 'the server-to-user channel was not subscribed' });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  emit({ ev: 'signed_in', user_data: pusher.user.user_data });
}

const commands = readline.createInterface({ input: process.stdin });
commands.on('line', (line) => {
  if (!line.trim()) return;
  const command = JSON.parse(line);
  switch (command.op) {
    case 'subscribe':
      subscribe(command.channel);
      break;
    case 'unsubscribe':
      pusher.unsubscribe(command.channel);
      emit({ ev: 'unsubscribed', channel: command.channel });
      break;
    case 'signin':
      signin().catch((e) => emit({ ev: 'signin_error', status: null, error: String(e) }));
      break;
    case 'disconnect':
      pusher.disconnect();
      break;
    default:
      emit({ ev: 'unknown_command', command });
  }
});
commands.on('close', () => {
  pusher.disconnect();
  process.exit(0);
});
