// Node "ws" baseline for Chorus benchmarks: a plain, idiomatic implementation of
// the Phoenix Channels v2 JSON subset (join / leave / heartbeat / broadcast).
// Deliberately no backpressure handling beyond ws defaults.
import http from 'node:http';
import { WebSocketServer } from 'ws';

const PORT = Number(process.env.PORT) || 4001;
const PATH = '/socket/websocket';

// topic -> Set<WebSocket>
const rooms = new Map();
let maxBuffered = 0;

const ok = { status: 'ok', response: {} };

function send(ws, joinRef, ref, topic, event, payload) {
  ws.send(JSON.stringify([joinRef, ref, topic, event, payload]));
}

function leave(ws, topic) {
  const room = rooms.get(topic);
  if (!room) return;
  room.delete(ws);
  if (room.size === 0) rooms.delete(topic);
}

const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({ noServer: true });

// Accept upgrades only on /socket/websocket, ignoring the query string (vsn, user, ...).
server.on('upgrade', (req, socket, head) => {
  const { pathname } = new URL(req.url, 'http://localhost');
  if (pathname !== PATH) {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

wss.on('connection', (ws) => {
  ws.topics = new Set(); // topics this socket has joined

  ws.on('message', (data) => {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      ws.close(1003, 'malformed JSON');
      return;
    }
    if (!Array.isArray(msg) || msg.length !== 5) {
      ws.close(1003, 'malformed frame');
      return;
    }
    const [joinRef, ref, topic, event, payload] = msg;

    if (topic === 'phoenix' && event === 'heartbeat') {
      send(ws, null, ref, 'phoenix', 'phx_reply', ok);
    } else if (event === 'phx_join') {
      if (!rooms.has(topic)) rooms.set(topic, new Set());
      rooms.get(topic).add(ws);
      ws.topics.add(topic);
      send(ws, joinRef, ref, topic, 'phx_reply', ok);
    } else if (event === 'phx_leave') {
      leave(ws, topic);
      ws.topics.delete(topic);
      send(ws, joinRef, ref, topic, 'phx_reply', ok);
      send(ws, joinRef, joinRef, topic, 'phx_close', {});
    } else if (ws.topics.has(topic)) {
      // Broadcast to every member (pusher included), encoding the frame once.
      const frame = JSON.stringify([null, null, topic, event, payload]);
      for (const member of rooms.get(topic)) {
        member.send(frame);
        if (member.bufferedAmount > maxBuffered) maxBuffered = member.bufferedAmount;
      }
      if (ref != null) send(ws, joinRef, ref, topic, 'phx_reply', ok);
    } else if (ref != null) {
      send(ws, joinRef, ref, topic, 'phx_reply', {
        status: 'error',
        response: { reason: 'unmatched topic' },
      });
    }
  });

  // On close, drop the socket from all rooms it joined.
  ws.on('close', () => {
    for (const topic of ws.topics) leave(ws, topic);
    ws.topics.clear();
  });
  ws.on('error', (err) => console.error('socket error:', err.message));
});

// Once a minute: connection count and max bufferedAmount seen since last report.
setInterval(() => {
  console.error(`[stats] connections=${wss.clients.size} maxBufferedAmount=${maxBuffered}`);
  maxBuffered = 0;
}, 60_000).unref();

server.listen(PORT, () => console.error(`node-baseline listening on :${PORT}${PATH}`));
