// The headless Webphone: the seed's API over the gateway protocol, with fake socket, peer connection and microphone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakePeerConnection, fakeSockets, fakeStream, load, settle, welcome } from "./helpers.mjs";

const { Webphone } = await load();

/** A phone on a fake gateway; `pcs` and `streams` collect what it made. */
async function phone(t, opts = {}, { connect = true } = {}) {
  const fake = fakeSockets();
  const p = new Webphone({ gateway: "ws://127.0.0.1/gateway", WebSocket: fake.WebSocket, ...opts });
  const pcs = [], asked = [];
  p.createPeerConnection = (config) => {
    const pc = new FakePeerConnection(config);
    pcs.push(pc);
    return pc;
  };
  p.getUserMedia = async (constraints) => {
    asked.push(constraints);
    if (p.refuse) throw Object.assign(new Error("Permission denied"), { name: p.refuse });
    return fakeStream("audio", ...(constraints.video ? ["video"] : []));
  };
  const events = [];
  for (const type of ["answer", "ringingout", "ringingin", "end", "registered", "unregistered", "error", "connection", "hold", "dtmf"]) {
    p.addEventListener(type, (e) => events.push([type, e.detail]));
  }
  t.after(() => p.close());
  if (connect) {
    p.connect();
    await welcome(fake.sockets[0]);
  }
  return { p, ws: () => fake.sockets.at(-1), sockets: fake.sockets, pcs, asked, events };
}

const event = (ws, seq, name, fields = {}) => ws.receive({ type: "event", seq, event: name, ...fields });
const media = async (ws, rid, method, fields = {}) => {
  ws.receive({ type: "media", rid, method, ...fields });
  for (let i = 0; i < 20 && !ws.ops("media_result").some((m) => m.rid === rid); i++) await new Promise((r) => setTimeout(r, 5));
  return ws.ops("media_result").find((m) => m.rid === rid);
};

test("the gateway defaults to /gateway on the script's host", async () => {
  const { gatewayURL } = await load();
  assert.equal(gatewayURL("http://example.com:8080/static/webphone.js"), "ws://example.com:8080/gateway");
  assert.equal(gatewayURL("https://example.com/webphone.js?v=2"), "wss://example.com/gateway");
});

test("server events become DOM events with camelCase details, and onX handlers get (detail, event)", async (t) => {
  const { p, ws, events } = await phone(t);
  const calls = [];
  p.onRingingIn = function (detail, e) {
    calls.push([this, detail, e.type]);
  };
  event(ws(), 1, "ringing_in", { call_id: "c1", from_uri: "sip:bob@127.0.0.1", from_name: "Bob", from_user: "bob", video: false });
  const detail = { callId: "c1", fromUri: "sip:bob@127.0.0.1", fromName: "Bob", fromUser: "bob", video: false };
  assert.deepEqual(events.at(-1), ["ringingin", detail]);
  assert.deepEqual(calls, [[p, detail, "ringingin"]]);
  assert.equal(p.state.call.state, "incoming");
  assert.equal(p.state.call.name, "Bob");
});

test("end gives the CDR as its detail and clears the call; error gives {code, message, sipStatus}", async (t) => {
  const { p, ws, events } = await phone(t);
  const cdr = { call_id: "c1", direction: "outgoing", sip_status: 486, reason: "Busy Here", media: {} };
  let ended;
  p.onEnd = (d) => (ended = d);
  p.onError = (d) => events.push(["onError", d]);
  await p.dialpadPress("7");
  p.makeCall().catch(() => {});
  event(ws(), 1, "error", { code: "call_failed", message: "Busy Here", sip_status: 486, call_id: "c1" });
  event(ws(), 2, "end", { call_id: "c1", cdr });
  assert.deepEqual(ended, cdr);
  assert.equal(p.state.call, null);
  assert.deepEqual(events.filter(([n]) => n === "error" || n === "onError").map(([, d]) => d), [
    { code: "call_failed", message: "Busy Here", sipStatus: 486, callId: "c1" },
    { code: "call_failed", message: "Busy Here", sipStatus: 486, callId: "c1" },
  ]);
});

test("registration: state follows the op and the events", async (t) => {
  const { p, ws } = await phone(t);
  const done = p.register();
  assert.equal(p.state.registration, "registering");
  await settle();
  event(ws(), 1, "registered", { server: "ws://127.0.0.1:5066", expires: 600 });
  ws().reply("register", { server: "ws://127.0.0.1:5066", expires: 600 });
  assert.equal((await done).expires, 600);
  assert.equal(p.state.registration, "registered");
  const gone = p.unregister();
  await settle();
  ws().reply("unregister");
  await gone;
  event(ws(), 2, "unregistered", { reason: "requested" });
  assert.equal(p.state.registration, "unregistered");
});

test("dialpadPress appends to the number without a call, sends DTMF in an answered call, refuses junk", async (t) => {
  const { p, ws } = await phone(t);
  for (const d of "12*#") await p.dialpadPress(d);
  assert.equal(p.number, "12*#");
  await assert.rejects(p.dialpadPress("x"), { code: "bad_message" });
  event(ws(), 1, "ringing_in", { call_id: "c1", from_uri: "sip:bob@h" });
  event(ws(), 2, "answer", { call_id: "c1", direction: "incoming", remote_uri: "sip:bob@h" });
  const sent = p.dialpadPress("5");
  await settle();
  assert.deepEqual(ws().ops("dtmf").map((m) => m.digit), ["5"]);
  ws().reply("dtmf");
  await sent;
  assert.equal(p.number, "12*#");
});

test("makeCall dials the number, asks for the microphone at once and reuses that stream for the offer", async (t) => {
  const { p, ws, pcs, asked } = await phone(t);
  p.number = "echo";
  const call = p.makeCall();
  assert.equal(p.state.call.state, "calling");
  await settle();
  assert.deepEqual(asked, [{ audio: true, video: false }], "getUserMedia starts before the server asks");
  assert.deepEqual(ws().ops("make_call").map(({ address, video }) => ({ address, video })), [{ address: "echo", video: false }]);
  ws().reply("make_call", { call_id: "c9" });
  assert.equal(await call, "c9");
  const r = await media(ws(), "m1", "create_offer", { direction: "sendrecv", video: false });
  assert.match(r.result.sdp, /offer audio:sendrecv/);
  assert.match(r.result.sdp, /a=candidate:.* typ host/, "resolved with the host candidate in hand");
  assert.equal(asked.length, 1);
  assert.equal(pcs.length, 1);
  await media(ws(), "m2", "set_answer", { answer: "v=0 answer" });
  assert.deepEqual(pcs[0].remoteDescription, { type: "answer", sdp: "v=0 answer" });
  event(ws(), 1, "ringing_out", { call_id: "c9", status: 180, early_media: false });
  assert.equal(p.state.call.state, "ringing");
  event(ws(), 2, "answer", { call_id: "c9", direction: "outgoing", remote_uri: "sip:echo@h" });
  assert.equal(p.state.call.state, "active");
  assert.equal(typeof p.state.call.answeredAt, "number");
});

test("makeCall refuses an empty number and a second call", async (t) => {
  const { p } = await phone(t);
  await assert.rejects(p.makeCall(""), { code: "bad_message" });
  p.makeCall("bob").catch(() => {});
  await assert.rejects(p.makeCall("carol"), { code: "invalid_state" });
});

test("an incoming call is answered from the offer; hold and resume set the transceivers' direction", async (t) => {
  const { p, ws, pcs, asked } = await phone(t);
  event(ws(), 1, "ringing_in", { call_id: "c1", from_uri: "sip:bob@h", video: false });
  await settle();
  assert.equal(asked.length, 1, "the microphone is asked for while it rings");
  const answered = p.answer();
  await settle();
  ws().reply("answer");
  await answered;
  const a = await media(ws(), "m1", "create_answer", { offer: "v=0 offer", direction: "sendrecv", video: false });
  assert.match(a.result.sdp, /answer audio:sendrecv/);
  assert.equal(pcs[0].remoteDescription.sdp, "v=0 offer");
  const held = await media(ws(), "m2", "create_offer", { direction: "sendonly", video: false });
  assert.match(held.result.sdp, /offer audio:sendonly/);
  const resumed = await media(ws(), "m3", "create_offer", { direction: "sendrecv", video: false });
  assert.match(resumed.result.sdp, /offer audio:sendrecv/);
  assert.equal(pcs.length, 1, "one peer connection per call");
  event(ws(), 2, "hold", { call_id: "c1", local: true, remote: false });
  assert.equal(p.state.call.held, true);
});

test("send_dtmf uses RTCDTMFSender when it can, else says sent: false for SIP INFO", async (t) => {
  const { p, ws, pcs } = await phone(t);
  p.makeCall("echo").catch(() => {});
  await media(ws(), "m1", "create_offer", { direction: "sendrecv" });
  const yes = await media(ws(), "m2", "send_dtmf", { digits: "1#" });
  assert.deepEqual(yes.result, { sent: true });
  assert.equal(pcs[0].dtmf.tones, "1#");
  pcs[0].dtmf.canInsertDTMF = false;
  const no = await media(ws(), "m3", "send_dtmf", { digits: "2" });
  assert.deepEqual(no.result, { sent: false });
});

test("mute turns the microphone track off (the far end gets silence), both from the API and from the server", async (t) => {
  const { p, ws, pcs } = await phone(t);
  p.makeCall("echo").catch(() => {});
  await media(ws(), "m1", "create_offer", { direction: "sendrecv" });
  const track = pcs[0].getSenders()[0].track;
  const muted = p.mute();
  assert.equal(track.enabled, false);
  assert.equal(p.state.call.muted, true);
  await settle();
  ws().reply("mute");
  await muted;
  await media(ws(), "m2", "mute", { muted: false });
  assert.equal(track.enabled, true);
  assert.equal(p.state.call.muted, false);
});

test("close closes the peer connection and releases the microphone", async (t) => {
  const { ws, pcs } = await phone(t);
  ws().receive({ type: "event", seq: 1, event: "ringing_in", call_id: "c1", from_uri: "sip:bob@h" });
  await media(ws(), "m1", "create_answer", { offer: "v=0", direction: "sendrecv" });
  const track = pcs[0].getSenders()[0].track;
  const r = await media(ws(), "m2", "close");
  assert.deepEqual(r, { op: "media_result", rid: "m2", result: {} });
  assert.equal(pcs[0].closed, true);
  await settle();
  assert.equal(track.stopped, true);
});

test("a refused microphone is explained in words, once, as a media_failed error", async (t) => {
  const { p, ws, events } = await phone(t);
  p.refuse = "NotAllowedError";
  p.makeCall("echo").catch(() => {});
  const r = await media(ws(), "m1", "create_offer", { direction: "sendrecv" });
  assert.match(r.error, /Microphone access was refused/);
  event(ws(), 1, "error", { code: "media_failed", message: "NotAllowedError", call_id: "c1" });
  const errors = events.filter(([n]) => n === "error");
  assert.equal(errors.length, 1);
  assert.equal(errors[0][1].code, "media_failed");
  assert.match(errors[0][1].message, /Allow the microphone/);
});

test("no microphone: NotFoundError is explained too", async (t) => {
  const { p, ws } = await phone(t);
  p.refuse = "NotFoundError";
  event(ws(), 1, "ringing_in", { call_id: "c1", from_uri: "sip:bob@h" });
  const r = await media(ws(), "m1", "create_answer", { offer: "v=0", direction: "sendrecv" });
  assert.match(r.error, /No microphone was found/);
});

test("stats come from getStats, mapped to the protocol's fields", async (t) => {
  const { p, ws, pcs } = await phone(t);
  p.makeCall("echo").catch(() => {});
  await media(ws(), "m1", "create_offer", { direction: "sendrecv" });
  pcs[0].stats = new Map([
    ["o", { id: "o", type: "outbound-rtp", kind: "audio", packetsSent: 50, bytesSent: 4000, codecId: "c" }],
    ["c", { id: "c", type: "codec", mimeType: "audio/opus", clockRate: 48000, channels: 2 }],
  ]);
  const r = await media(ws(), "m2", "stats");
  assert.equal(r.result.stats.codec, "opus/48000/2");
  assert.equal(r.result.stats.packets_sent, 50);
});

test("config set before connecting is sent after hello, then register when auto-register; again after a lost session only", async (t) => {
  t.mock.timers.enable({ apis: ["setInterval"] });
  const { p, sockets } = await phone(t, { autoRegister: true, username: "alice", password: "pw", wsServers: "ws://a, ws://b" }, { connect: false });
  p.connect();
  const ws = sockets[0];
  await welcome(ws);
  assert.deepEqual(ws.sent.slice(1).map(({ id, ...m }) => m), [
    { op: "set_config", wsServers: ["ws://a", "ws://b"], username: "alice", password: "pw" },
    { op: "register" },
  ]);
  // a resumed session keeps its registration: nothing is sent again
  ws.drop();
  await new Promise((r) => setTimeout(r, 600));
  await welcome(sockets[1], { resumed: true });
  assert.deepEqual(sockets[1].sent.map((m) => m.op), ["hello"]);
  // a new session (the old one expired) is configured and registered again
  sockets[1].drop();
  await new Promise((r) => setTimeout(r, 600));
  await welcome(sockets[2], { resumed: false });
  assert.deepEqual(sockets[2].sent.map((m) => m.op), ["hello", "set_config", "register"]);
});

test("setConfig on an open session sends only what changed", async (t) => {
  const { p, ws } = await phone(t);
  const done = p.setConfig({ displayName: "Alice", cli: "+44123", unknown: "x" });
  await settle();
  const [m] = ws().ops("set_config");
  assert.deepEqual({ ...m, id: 0 }, { op: "set_config", id: 0, displayName: "Alice", cli: "+44123" });
  ws().reply("set_config");
  await done;
});

test("a call lost with its session ends locally; the server's resume_failed comes through once", async (t) => {
  const { p, ws, pcs, events } = await phone(t);
  event(ws(), 1, "ringing_in", { call_id: "c1", from_uri: "sip:bob@h" });
  await media(ws(), "m1", "create_answer", { offer: "v=0", direction: "sendrecv" });
  ws().drop();
  await new Promise((r) => setTimeout(r, 600));
  await welcome(ws(), { resumed: false });
  event(ws(), 1, "error", { code: "resume_failed", message: "the session is unknown or expired; this is a new one" });
  assert.equal(p.state.call, null);
  assert.equal(pcs[0].closed, true);
  assert.deepEqual(events.filter(([n]) => n === "error").map(([, d]) => d.code), ["resume_failed"]);
});

test("connection events tell the gateway's state apart from the SIP server's", async (t) => {
  const { ws, events } = await phone(t);
  event(ws(), 1, "connection", { state: "connected", server: "ws://127.0.0.1:5066", reason: null });
  const conn = events.filter(([n]) => n === "connection").map(([, d]) => d);
  assert.deepEqual(conn, [
    { via: "gateway", state: "connecting" },
    { via: "gateway", state: "connected" },
    { via: "sip", state: "connected", server: "ws://127.0.0.1:5066", reason: null },
  ]);
});

test("register() before the session opens and auto-register make one register op, not two", async (t) => {
  const { p, sockets } = await phone(t, { autoRegister: true, username: "alice" }, { connect: false });
  const done = p.register();
  await welcome(sockets[0]);
  assert.deepEqual(sockets[0].sent.map((m) => m.op), ["hello", "set_config", "register"]);
  sockets[0].reply("register", { server: "ws://sip", expires: 600 });
  assert.deepEqual(await done, { server: "ws://sip", expires: 600 }, "the result without type and id");
});
