// Test helpers: load webphone.js as an ES module in node, and fakes for the browser parts it uses.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const SOURCE = fileURLToPath(new URL("../../src/webphone/static/webphone.js", import.meta.url));

/** The module's exports. The file is an ES module served as .js; node needs .mjs to know that. */
export async function load() {
  const dir = mkdtempSync(join(tmpdir(), "webphone-js-"));
  const file = join(dir, "webphone.mjs");
  writeFileSync(file, readFileSync(SOURCE));
  return import(pathToFileURL(file).href);
}

/** Lets pending promise callbacks run (setImmediate: not faked by mock timers). */
export const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A WebSocket class whose instances the test drives: open(), receive(msg), drop(). */
export function fakeSockets() {
  const sockets = [];
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      sockets.push(this);
    }
    send(text) {
      if (this.readyState !== 1) throw new Error("send on a socket that is not open");
      this.sent.push(JSON.parse(text));
    }
    close() {
      this.readyState = 3;
    }
    open() {
      this.readyState = 1;
      this.onopen?.({});
    }
    receive(message) {
      this.onmessage?.({ data: typeof message === "string" ? message : JSON.stringify(message) });
    }
    drop() {
      this.readyState = 3;
      this.onclose?.({ code: 1006 });
    }
    /** The messages sent with this op. */
    ops(op) {
      return this.sent.filter((m) => m.op === op);
    }
    /** Answers the last message sent with `op`. */
    reply(op, fields = {}) {
      const m = this.ops(op).at(-1);
      if (!m) throw new Error(`no ${op} was sent`);
      this.receive({ type: "result", id: m.id, ...fields });
    }
    replyError(op, code, message = code, extra = {}) {
      const m = this.ops(op).at(-1);
      this.receive({ type: "error", id: m.id, code, message, ...extra });
    }
  }
  return { WebSocket: FakeWebSocket, sockets };
}

/** Opens the socket and answers the hello: a new session unless `resumed`. */
export async function welcome(ws, { resumed = false, token = "tok-1", config = {} } = {}) {
  if (ws.readyState !== 1) ws.open();
  ws.reply("hello", { session: "s1", resume_token: token, resumed, version: 1, config });
  await settle();
}

export function fakeTrack(kind) {
  return { kind, enabled: true, stopped: false, stop() { this.stopped = true; } };
}

export function fakeStream(...kinds) {
  const tracks = kinds.map(fakeTrack);
  return { tracks, getTracks: () => tracks };
}

/** An RTCPeerConnection stand-in: records what was asked, gathers one host candidate after setLocalDescription. */
export class FakePeerConnection extends EventTarget {
  constructor(config) {
    super();
    this.config = config;
    this.transceivers = [];
    this.iceGatheringState = "new";
    this.localDescription = null;
    this.remoteDescription = null;
    this.closed = false;
    this.dtmf = { canInsertDTMF: true, tones: "", insertDTMF(t) { this.tones += t; } };
    this.stats = new Map();
  }
  addTrack(track) {
    const free = this.transceivers.find((t) => !t.sender.track && t.kind === track.kind);
    const sender = { track, dtmf: track.kind === "audio" ? this.dtmf : null };
    if (free) Object.assign(free, { sender, direction: "sendrecv" });
    else this.transceivers.push({ kind: track.kind, direction: "sendrecv", sender, stopped: false });
    return sender;
  }
  getSenders() {
    // As in Chromium: a transceiver made by a remote offer has a sender without a track.
    return this.transceivers.map((t) => t.sender);
  }
  getTransceivers() {
    return this.transceivers;
  }
  async setRemoteDescription(d) {
    this.remoteDescription = d;
    if (d.type === "offer" && !this.transceivers.length) {
      this.transceivers.push({ kind: "audio", direction: "recvonly", sender: { track: null }, stopped: false });
    }
  }
  #sdp(type) {
    return `v=0 ${type} ${this.transceivers.map((t) => `${t.kind}:${t.direction}`).join(" ")}\r\n`;
  }
  async createOffer() {
    return { type: "offer", sdp: this.#sdp("offer") };
  }
  async createAnswer() {
    return { type: "answer", sdp: this.#sdp("answer") };
  }
  async setLocalDescription(d) {
    this.localDescription = { ...d };
    if (this.iceGatheringState === "complete") return;
    this.iceGatheringState = "gathering";
    setTimeout(() => {
      this.localDescription.sdp += "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n";
      const e = new Event("icecandidate");
      e.candidate = { type: "host", candidate: "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host" };
      this.dispatchEvent(e);
    }, 5);
  }
  async getStats() {
    return this.stats;
  }
  close() {
    this.closed = true;
  }
}
