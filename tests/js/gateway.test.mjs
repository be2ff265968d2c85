// The protocol client: hello first, ops matched to replies by id, event seq, resume, reconnect, media requests.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fakeSockets, load, settle, welcome } from "./helpers.mjs";

const { Gateway, backoff } = await load();

function gateway(t, opts = {}) {
  const fake = fakeSockets();
  const gw = new Gateway("ws://127.0.0.1:8080/gateway", { WebSocket: fake.WebSocket, ...opts });
  t.after(() => gw.close());
  return { gw, sockets: fake.sockets };
}

test("hello (version 1) is the first message, and ops wait for its reply", async (t) => {
  const { gw, sockets } = gateway(t, { hello: () => ({ component: "sales" }) });
  const result = gw.request("make_call", { address: "bob" });
  const [ws] = sockets;
  assert.equal(ws.url, "ws://127.0.0.1:8080/gateway");
  ws.open();
  assert.deepEqual(ws.sent, [{ op: "hello", id: 1, version: 1, component: "sales" }]);
  await welcome(ws);
  assert.equal(gw.state, "connected");
  assert.deepEqual(ws.sent.slice(1), [{ op: "make_call", id: 2, address: "bob" }]);
  ws.reply("make_call", { call_id: "c1" });
  assert.equal((await result).call_id, "c1");
});

test("replies are matched by id, in any order; errors reject with code, message and SIP status", async (t) => {
  const { gw, sockets } = gateway(t);
  gw.connect();
  await welcome(sockets[0]);
  const a = gw.request("register");
  const b = gw.request("hold");
  await settle();
  const ws = sockets[0];
  ws.receive({ type: "error", id: ws.ops("register")[0].id, code: "auth_failed", message: "wrong password", sip_status: 403 });
  ws.receive({ type: "result", id: ws.ops("hold")[0].id, ok: true });
  assert.deepEqual(await b, {});
  await assert.rejects(a, { code: "auth_failed", message: "wrong password", sipStatus: 403 });
});

test("a result nested under `result` is unwrapped", async (t) => {
  const { gw, sockets } = gateway(t);
  gw.connect();
  await welcome(sockets[0]);
  const r = gw.request("register");
  await settle();
  sockets[0].reply("register", { result: { server: "ws://sip", expires: 600 } });
  assert.deepEqual(await r, { server: "ws://sip", expires: 600 });
});

test("events are passed on once each, in seq order; junk frames are ignored", async (t) => {
  const { gw, sockets } = gateway(t);
  const seen = [];
  gw.addEventListener("event", (e) => seen.push(e.detail.seq));
  gw.connect();
  await welcome(sockets[0]);
  const ws = sockets[0];
  for (const seq of [1, 2, 2, 1, 3]) ws.receive({ type: "event", seq, event: "dtmf" });
  ws.receive("not json{");
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(gw.lastSeq, 3);
});

test("a dropped connection rejects pending ops, reconnects with backoff and resumes with token and last_seq", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { gw, sockets } = gateway(t);
  const states = [];
  gw.addEventListener("state", (e) => states.push(e.detail));
  gw.connect();
  await welcome(sockets[0], { token: "tok-1" });
  sockets[0].receive({ type: "event", seq: 7, event: "registered" });
  const pending = gw.request("hold");
  await settle();
  sockets[0].drop();
  await assert.rejects(pending, { code: "disconnected" });
  assert.equal(gw.state, "reconnecting");
  assert.equal(sockets.length, 1, "waits before reconnecting");
  t.mock.timers.tick(500);
  assert.equal(sockets.length, 2);
  sockets[1].open();
  assert.deepEqual(sockets[1].sent[0], { op: "hello", id: sockets[1].sent[0].id, version: 1, resume: "tok-1", last_seq: 7 });
  await welcome(sockets[1], { resumed: true, token: "tok-2" });
  assert.equal(gw.lastSeq, 7, "a resumed session keeps counting");
  assert.equal(gw.token, "tok-2");
  sockets[1].receive({ type: "event", seq: 7, event: "registered" });
  assert.equal(gw.lastSeq, 7);
  assert.deepEqual(states, ["connecting", "connected", "reconnecting", "connected"]);
});

test("a session that could not be resumed starts counting again", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { gw, sockets } = gateway(t);
  gw.connect();
  await welcome(sockets[0]);
  sockets[0].receive({ type: "event", seq: 41, event: "registered" });
  sockets[0].drop();
  t.mock.timers.tick(500);
  await welcome(sockets[1], { resumed: false, token: "tok-new" });
  assert.equal(gw.lastSeq, 0);
  const seen = [];
  gw.addEventListener("event", (e) => seen.push(e.detail.seq));
  sockets[1].receive({ type: "event", seq: 1, event: "registered" });
  assert.deepEqual(seen, [1]);
});

test("resume_failed: hello again without the token", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { gw, sockets } = gateway(t);
  gw.connect();
  await welcome(sockets[0]);
  sockets[0].drop();
  t.mock.timers.tick(500);
  const ws = sockets[1];
  ws.open();
  assert.equal(ws.sent[0].resume, "tok-1");
  ws.replyError("hello", "resume_failed", "expired");
  await settle();
  assert.equal(ws.sent.length, 2);
  assert.equal(ws.sent[1].op, "hello");
  assert.equal(ws.sent[1].resume, undefined);
});

test("a refused hello (wrong version) is final: a fail event and no reconnect", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { gw, sockets } = gateway(t);
  const fails = [];
  gw.addEventListener("fail", (e) => fails.push(e.detail.code));
  gw.connect();
  sockets[0].open();
  sockets[0].replyError("hello", "version", "version 1 is not spoken here");
  await settle();
  assert.deepEqual(fails, ["version"]);
  assert.equal(gw.state, "closed");
  t.mock.timers.tick(60_000);
  assert.equal(sockets.length, 1);
});

test("reconnect delays grow from 0.5 s to 10 s, with jitter that only shortens them", () => {
  assert.equal(backoff(0, 0), 500);
  assert.equal(backoff(1, 0), 1000);
  assert.equal(backoff(2, 0), 2000);
  assert.equal(backoff(10, 0), 10_000);
  assert.equal(backoff(0, 1), 250);
  for (let n = 0; n < 8; n++) {
    const d = backoff(n);
    assert.ok(d >= Math.min(1e4, 500 * 2 ** n) / 2 && d <= Math.min(1e4, 500 * 2 ** n));
  }
  // attempts within the server's 30 s grace period: 0.5 + 1 + 2 + 4 + 8 + 10 s
  let total = 0, n = 0;
  while ((total += backoff(n, 0)) < 30_000) n++;
  assert.ok(n >= 5);
});

test("an unanswered ping ends a dead connection", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { gw, sockets } = gateway(t);
  gw.connect();
  await welcome(sockets[0]);
  t.mock.timers.tick(20_000);
  assert.equal(sockets[0].ops("ping").length, 1);
  t.mock.timers.tick(10_000);
  assert.equal(gw.state, "reconnecting");
});

test("media requests are answered with media_result; a repeated rid is answered again, not redone", async (t) => {
  const asked = [];
  const { gw, sockets } = gateway(t, {
    media: async (m) => {
      asked.push(m.rid);
      if (m.method === "create_answer") throw new Error("NotAllowedError: refused");
      return { sdp: "v=0" };
    },
  });
  gw.connect();
  await welcome(sockets[0]);
  const ws = sockets[0];
  ws.receive({ type: "media", rid: "m1", method: "create_offer", direction: "sendrecv" });
  ws.receive({ type: "media", rid: "m1", method: "create_offer", direction: "sendrecv" });
  ws.receive({ type: "media", rid: "m2", method: "create_answer", offer: "v=0" });
  await settle();
  assert.deepEqual(asked, ["m1", "m2"]);
  assert.deepEqual(ws.ops("media_result"), [
    { op: "media_result", rid: "m1", result: { sdp: "v=0" } },
    { op: "media_result", rid: "m1", result: { sdp: "v=0" } },
    { op: "media_result", rid: "m2", error: "NotAllowedError: refused" },
  ]);
  assert.ok(ws.ops("media_result").every((m) => m.id === undefined), "media_result has no id: it gets no reply");
});

test("a busy server (server_busy on hello) is tried again later", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { gw, sockets } = gateway(t);
  gw.connect();
  sockets[0].open();
  sockets[0].replyError("hello", "server_busy", "too many sessions; try again later");
  await settle();
  assert.equal(gw.state, "reconnecting");
  t.mock.timers.tick(500);
  assert.equal(sockets.length, 2);
});

test("results lose type, id and ok: only their fields are given", async (t) => {
  const { gw, sockets } = gateway(t);
  gw.connect();
  await welcome(sockets[0]);
  const r = gw.request("make_call", { address: "echo" });
  await settle();
  sockets[0].reply("make_call", { ok: true, call_id: "c1" });
  assert.deepEqual(await r, { call_id: "c1" });
});

test("close() stops everything: no reconnect, waiting ops are rejected", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const { gw, sockets } = gateway(t);
  const waiting = gw.request("register");
  gw.close();
  await assert.rejects(waiting, { code: "closed" });
  assert.equal(sockets[0].readyState, 3);
  t.mock.timers.tick(60_000);
  assert.equal(sockets.length, 1);
});
