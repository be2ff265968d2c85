// webphone.js: the <web-phone> element and the headless Webphone API. SIP runs on the server; the page
// draws the UI, runs the RTCPeerConnection and speaks JSON over a WebSocket (docs/protocol.md, docs/component.md).

const G = globalThis;
const SCRIPT_URL = import.meta.url;
const SIP_KEYS = ["wsServers", "username", "password", "displayName", "cli", "realm"];
// events with an onX property (the seed's callbacks), called as onX(detail, event)
const HANDLERS = { answer: "Answer", ringingout: "RingingOut", ringingin: "RingingIn", end: "End", registered: "Registered", unregistered: "Unregistered", error: "Error" };
const EVENTS = [...Object.keys(HANDLERS), "connection", "hold", "dtmf", "statechange"];
// failures the server also sends as error events
const SERVER_REPORTED = /^(auth_failed|forbidden|unreachable|register_failed|disconnected)$/;

// ---- pure helpers, exported for tests ----
/** ws(s)://the script's host/gateway */
export const gatewayURL = (base = SCRIPT_URL) => new URL("/gateway", base).href.replace(/^http/, "ws");

/** show-*: only "false" is false (like spellcheck) */
export const showValue = (v) => v == null || v.trim().toLowerCase() != "false";

/** like <img width>: "320px" is 320, junk is 0 */
export const widthValue = (v) => Math.min(+(/^[\t\n\f\r ]*\+?(\d+)/.exec(v ?? "")?.[1] ?? 0), 2 ** 31 - 1);

export const serverList = (v) => (Array.isArray(v) ? v : String(v ?? "").split(",")).map((s) => String(s).trim()).filter(Boolean);

/** ms before reconnect attempt n: 0.5 s doubling to 10 s, jittered down by up to half */
export const backoff = (n, r = Math.random()) => Math.min(1e4, 500 * 2 ** n) * (1 - r / 2);

/** mm:ss */
export const clock = (ms) => {
  const s = Math.max(0, Math.floor(ms / 1000)), p = (n) => String(n).padStart(2, "0");
  return p(Math.floor(s / 60)) + ":" + p(s % 60);
};

export const camel = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/_(.)/g, (_, c) => c.toUpperCase()), v]));

const fail = (code, message, sipStatus = null) => Object.assign(new Error(message || code), { code, sipStatus });
const errorOf = (m) => fail(m.code, m.message, m.sip_status ?? null);
const detailOf = (e, callId = null) => ({ code: e.code || "error", message: e.message, sipStatus: e.sipStatus ?? null, callId });

/** The `stats` media result from an RTCStatsReport (audio) */
export function mapStats(report) {
  const all = [...(report?.values?.() ?? [])], by = (id) => (id && all.find((s) => s.id == id)) || {};
  const rtp = (t) => all.find((s) => s.type == t && (s.kind ?? s.mediaType) != "video") || {};
  const out = rtp("outbound-rtp"), inb = rtp("inbound-rtp"), rem = rtp("remote-inbound-rtp");
  const chosen = by(all.find((s) => s.type == "transport")?.selectedCandidatePairId);
  const pair = chosen.id ? chosen : all.find((s) => s.type == "candidate-pair" && (s.selected || (s.nominated && s.state == "succeeded"))) || {};
  const c = by(inb.codecId || out.codecId), ms = (v) => (v == null ? null : Math.round(v * 1e4) / 10);
  const addr = (s) => ((s.address ?? s.ip) ? `${s.address ?? s.ip}:${s.port}` : null);
  return {
    codec: c.mimeType ? [c.mimeType.split("/")[1], c.clockRate, c.channels > 1 ? c.channels : null].filter(Boolean).join("/") : null,
    packets_sent: out.packetsSent ?? null, packets_received: inb.packetsReceived ?? null,
    bytes_sent: out.bytesSent ?? null, bytes_received: inb.bytesReceived ?? null,
    packets_lost: inb.packetsLost ?? null, jitter_ms: ms(inb.jitter), rtt_ms: ms(rem.roundTripTime ?? pair.currentRoundTripTime),
    local_address: addr(by(pair.localCandidateId)), remote_address: addr(by(pair.remoteCandidateId)),
  };
}

/** getUserMedia's failure, in words */
export function explainMediaError(e) {
  const msg = {
    NotAllowedError: "Microphone access was refused. Allow the microphone for this site (the icon in the address bar) and try again.",
    NotFoundError: "No microphone was found. Connect one and try again.",
    NotReadableError: "The microphone is in use by another program or could not be started.",
    SecurityError: "The browser allows the microphone only on secure (https) pages.",
  }[G.isSecureContext === false ? "SecurityError" : e?.name];
  return fail("media_failed", msg || `The microphone could not be used: ${e?.message || e}`);
}

/** The status line for a PhoneState */
export function statusText(s) {
  const c = s.call, who = c && (c.name || c.user || c.remote);
  if (s.connection == "reconnecting") return "Connection lost, reconnecting…";
  if (s.connection == "closed") return "Disconnected";
  if (c) return { calling: `Calling ${who}…`, ringing: `Ringing ${who}…`, incoming: `Incoming call from ${who}`,
    active: c.held ? "On hold" : c.remoteHeld ? "Held by the other party" : c.muted ? "In call, muted" : "In call" }[c.state];
  if (s.connection != "connected") return "Connecting…";
  return { registered: "Registered, ready for calls", registering: "Registering…" }[s.registration] || "Connected, not registered";
}

function fire(target, type, detail) {
  const e = new CustomEvent(type, { detail, bubbles: true, composed: true }), h = target["on" + HANDLERS[type]];
  target.dispatchEvent(e);
  if (typeof h == "function") h.call(target, detail, e);
  return e;
}

// ---- the protocol client ----

/** a saved component's ticket (docs/protocol.md) */
const ticketFor = (gw, c) => fetch(new URL("/tickets/" + encodeURIComponent(c), gw.replace(/^ws/, "http"))).then((r) => r.json()).then((j) => j.ticket, () => {});

/** One gateway session; reconnects and resumes by itself. Events: state, open, event, fail. */
export class Gateway extends EventTarget {
  /** @type {string|null} */ token = null;
  lastSeq = 0;
  state = "idle";
  ready = false;
  #ws = null; #id = 0; #pending = new Map(); #waiters = []; #media = new Map(); #tries = 0; #timer; #ping;

  constructor(url, opts = {}) {
    super();
    this.url = url;
    this.opts = opts;
  }

  connect() {
    if (this.state == "idle" || this.state == "closed") this.#open();
  }

  /** An op, sent once the session is open (`now`: at once): its result, or an Error with .code */
  async request(op, fields = {}, now = false) {
    this.connect();
    while (!now && !this.ready) await new Promise((res, rej) => this.#waiters.push([res, rej]));
    const id = ++this.#id;
    return new Promise((res, rej) => {
      this.#pending.set(id, [res, rej]);
      this.#send({ op, id, ...fields });
    });
  }

  close() {
    this.#set("closed");
    clearTimeout(this.#timer);
    this.#drop();
    for (const [, rej] of this.#waiters.splice(0)) rej(fail("closed", "the phone was closed"));
  }

  #set(state) {
    if (state != this.state) this.dispatchEvent(new CustomEvent("state", { detail: (this.state = state) }));
  }

  #send(m) {
    if (this.#ws?.readyState == 1) this.#ws.send(JSON.stringify(m));
  }

  #open() {
    if (this.state != "reconnecting") this.#set("connecting");
    const ws = (this.#ws = new (this.opts.WebSocket || WebSocket)(this.url));
    ws.onopen = () => this.#hello();
    ws.onmessage = (e) => this.#receive(e.data);
    ws.onclose = () => this.#drop();
  }

  #hello() {
    const h = this.opts.hello?.(), ws = this.#ws; // a promise: a component's ticket is fetched first
    if (h?.then) return h.then((h) => ws == this.#ws && this.#hi(h));
    this.#hi(h);
  }

  #hi(h) {
    const f = { version: 1, ...h };
    if (this.token) Object.assign(f, { resume: this.token, last_seq: this.lastSeq });
    this.request("hello", f, true).then((r) => {
      if (!r.resumed) (this.lastSeq = 0), this.#media.clear(); // a new session: seq and rids restart
      this.token = r.resume_token ?? null;
      this.session = r.session;
      this.#tries = 0;
      this.ready = true;
      this.#set("connected");
      this.dispatchEvent(new CustomEvent("open", { detail: r }));
      for (const [res] of this.#waiters.splice(0)) res();
      clearInterval(this.#ping);
      // a dead link may never close: a ping unanswered for 10 s ends it
      this.#ping = setInterval(() => {
        const t = setTimeout(() => this.#drop(), 1e4);
        this.request("ping", {}, true).finally(() => clearTimeout(t)).catch(() => {});
      }, 2e4);
    }, (e) => {
      if (e.code == "resume_failed" && this.token) return (this.token = null), this.#hello();
      if (e.code == "disconnected") return;
      if (!/^(version|forbidden|bad_message)$/.test(e.code)) return this.#drop(); // server_busy...: try again later
      this.close();
      this.dispatchEvent(new CustomEvent("fail", { detail: e }));
    });
  }

  #receive(data) {
    let m;
    try { m = JSON.parse(data); } catch { return; }
    if (m.type == "result" || m.type == "error") {
      const p = this.#pending.get(m.id);
      const { type, id, ok, ...r } = m;
      if (p) this.#pending.delete(id), type == "result" ? p[0](m.result ?? r) : p[1](errorOf(m));
      else if (m.type == "error") this.dispatchEvent(new CustomEvent("event", { detail: { ...m, event: "error" } }));
    } else if (m.type == "event") {
      if (m.seq <= this.lastSeq) return; // seen before the connection dropped
      this.lastSeq = m.seq ?? this.lastSeq;
      this.dispatchEvent(new CustomEvent("event", { detail: m }));
    } else if (m.type == "media") {
      // a request repeated after a resume is answered again, not redone
      let p = this.#media.get(m.rid);
      if (!p) this.#media.set(m.rid, (p = Promise.resolve(m).then((m) => this.opts.media(m)).then((result) => ({ result: result || {} }), (e) => ({ error: e.message || String(e) }))));
      p.then((r) => this.#send({ op: "media_result", rid: m.rid, ...r }));
    }
  }

  #drop() {
    const ws = this.#ws;
    clearInterval(this.#ping);
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    try { ws.close(); } catch {}
    this.#ws = null;
    this.ready = false;
    for (const [, rej] of this.#pending.values()) rej(fail("disconnected", "The connection to the server was lost."));
    this.#pending.clear();
    if (this.state == "closed") return;
    this.#set("reconnecting");
    this.#timer = setTimeout(() => this.#open(), backoff(this.#tries++));
  }
}

// ---- the headless phone ----

const val = (v) => (typeof v == "function" ? v() : v);

/** The seed's phone API, headless: methods, DOM events, onX properties */
export class Webphone extends EventTarget {
  /** @type {import("./webphone.d.ts").PhoneState} */
  state = { connection: "idle", registration: "unregistered", call: null, number: "" };
  /** the hello's public settings (of a saved component) */
  config = {};
  #gw; #sip = {}; #wantReg = false; #regP; #pc = null; #local = null; #mediaErr = false; #audio;

  /** @param {import("./webphone.d.ts").WebphoneOptions} [opts] */
  constructor(opts = {}) {
    super();
    const { autoRegister = false, video = false, component = "", ticket = "", audio, localVideo, remoteVideo, iceServers } = opts;
    Object.assign(this, { autoRegister, video, component, ticket, audio, localVideo, remoteVideo, iceServers });
    this.#keep(opts);
    const gw = (this.#gw = new Gateway(opts.gateway || gatewayURL(), {
      WebSocket: opts.WebSocket,
      hello: () => {
        const c = this.component;
        return c && !this.ticket ? ticketFor(this.#gw.url, c).then((ticket) => ({ component: c, ticket })) : { component: c || undefined, ticket: this.ticket || undefined };
      },
      media: (m) => this.#media(m),
    }));
    gw.addEventListener("state", ({ detail: state }) => {
      this.#up({ connection: state });
      fire(this, "connection", { via: "gateway", state });
    });
    gw.addEventListener("open", (e) => this.#opened(e.detail));
    gw.addEventListener("event", (e) => this.#event(e.detail));
    gw.addEventListener("fail", (e) => fire(this, "error", detailOf(e.detail)));
  }

  /** the number being dialled */
  get number() { return this.state.number; }
  set number(v) { this.#up({ number: String(v ?? "") }); }

  connect() { this.#gw.connect(); return this; }
  /** closes the peer connection and the socket */
  close() { this.#closeMedia(); this.#gw.close(); }

  /** @param {import("./webphone.d.ts").SipConfig} c */
  async setConfig(c = {}) {
    const f = this.#keep(c);
    if (this.#gw.ready) await this.#gw.request("set_config", f);
  }
  async register() { this.#wantReg = true; return this.#register(); }
  async unregister() { this.#wantReg = false; await this.#gw.request("unregister"); }
  /** DTMF in an answered call, else appends to number */
  async dialpadPress(digit) {
    const d = String(digit).toUpperCase();
    if (!/^[0-9*#A-D]$/.test(d)) throw fail("bad_message", `not a dial-pad key: ${digit}`);
    const c = this.state.call;
    if (c?.state == "active") this.#callUp({ dtmf: (c.dtmf || "") + d }), await this.#gw.request("dtmf", { digit: d });
    else if (!c) this.number += d;
  }
  /** @returns {Promise<string>} the Call-ID, once dialling */
  async makeCall(address = this.number, video = val(this.video)) {
    address = String(address ?? "").trim();
    if (!address) throw fail("bad_message", "Enter a number to call.");
    if (this.state.call) throw fail("invalid_state", "Already in a call.");
    this.#mediaErr = false;
    this.#stream(video); // ask for the microphone now, while SIP does its work
    this.#up({ call: { id: null, direction: "outgoing", state: "calling", remote: address, video: !!video, held: false, remoteHeld: false, muted: false } });
    try {
      const r = await this.#gw.request("make_call", { address, video: !!video });
      this.#callUp({ id: r.call_id ?? null });
      return r.call_id;
    } catch (e) {
      if (e.code != "disconnected" && this.state.call?.state == "calling") this.#endCall();
      throw e;
    }
  }
  async answer() { this.#mediaErr = false; await this.#gw.request("answer"); }
  async hangup() { await this.#gw.request("hangup"); }
  async hold() { await this.#gw.request("hold"); }
  async unhold() { await this.#gw.request("unhold"); }
  /** the far end hears silence */
  async mute() { return this.#mute(true); }
  async unmute() { return this.#mute(false); }

  /** seams for tests */
  createPeerConnection(config) { return new RTCPeerConnection(config); }
  getUserMedia(constraints) { return navigator.mediaDevices.getUserMedia(constraints); }

  #keep(c) {
    const f = {};
    for (const k of SIP_KEYS) if (c[k] !== undefined) f[k] = this.#sip[k] = k == "wsServers" ? serverList(c[k]) : String(c[k]);
    return f;
  }

  #register(now) {
    // one register at a time: a register() waiting for the session and the session's own are one op
    if (this.#regP) return this.#regP;
    const prev = this.state.registration;
    this.#up({ registration: "registering" });
    return (this.#regP = this.#gw.request("register", {}, now).catch((e) => {
      if (this.state.registration == "registering") this.#up({ registration: prev == "registered" ? prev : "unregistered" });
      throw e;
    }).finally(() => (this.#regP = null)));
  }

  async #mute(on) {
    for (const t of this.#tracks()) t.enabled = !on;
    this.#callUp({ muted: on });
    await this.#gw.request(on ? "mute" : "unmute");
  }

  #up(patch) {
    this.state = { ...this.state, ...patch };
    fire(this, "statechange", this.state);
  }
  #callUp(patch) {
    if (this.state.call) this.#up({ call: { ...this.state.call, ...patch } });
  }
  #endCall() {
    this.#closeMedia();
    this.#up({ call: null });
  }

  #opened(r) {
    this.config = r.config || {};
    if (r.resumed) return;
    if (this.state.call) this.#endCall(); // the server says resume_failed
    this.#up({ registration: "unregistered" });
    const report = (e) => SERVER_REPORTED.test(e.code) || fire(this, "error", detailOf(e));
    if (Object.keys(this.#sip).length) this.#gw.request("set_config", this.#sip, true).catch(report);
    if (this.#wantReg || val(this.autoRegister)) this.#register(true).catch(report);
  }

  #event(m) {
    const { event: name, type, seq, ...f } = m, d = camel(f);
    switch (name) {
      case "connection": return fire(this, name, { via: "sip", ...d });
      case "registered": case "unregistered": this.#up({ registration: name }); break;
      case "ringing_out": this.#callUp({ state: "ringing", earlyMedia: !!f.early_media }); break;
      case "ringing_in":
        this.#mediaErr = false;
        this.#up({ call: { id: f.call_id, direction: "incoming", state: "incoming", remote: f.from_uri, name: f.from_name, user: f.from_user,
          video: !!f.video, held: false, remoteHeld: false, muted: false } });
        this.#stream(val(this.video) && f.video); // ask for the microphone while it rings
        break;
      case "answer": this.#callUp({ state: "active", answeredAt: Date.now() }); break;
      case "hold": this.#callUp({ held: !!f.local, remoteHeld: !!f.remote }); break;
      case "end": this.#endCall(); return fire(this, name, f.cdr);
      case "error": if (f.code == "media_failed" && this.#mediaErr) return; // already said, in words
    }
    fire(this, name.replace("_", ""), d);
  }

  // ---- media requests ----

  #stream(video) {
    if (!this.#local || (video && !this.#local.video)) {
      this.#stopLocal();
      const p = (this.#local = Promise.resolve().then(() => this.getUserMedia({ audio: true, video: !!video })).catch((e) => { throw explainMediaError(e); }));
      p.video = !!video;
      p.catch(() => {});
    }
    return this.#local;
  }
  #stopLocal() {
    this.#local?.then((s) => s.getTracks().forEach((t) => t.stop()), () => {});
    this.#local = null;
  }
  #tracks() {
    return (this.#pc?.getSenders() || []).map((s) => s.track).filter((t) => t?.kind == "audio");
  }

  async #media(m) {
    try {
      return await this.#do(m);
    } catch (e) {
      if (e.code == "media_failed" && !this.#mediaErr) (this.#mediaErr = true), fire(this, "error", detailOf(e, this.state.call?.id ?? null));
      throw e;
    }
  }

  async #do(m) {
    let pc = this.#pc;
    switch (m.method) {
      case "create_offer":
      case "create_answer": {
        const answering = m.method == "create_answer";
        pc ||= this.#newPeer();
        if (answering) await pc.setRemoteDescription({ type: "offer", sdp: m.offer });
        if (!pc.getSenders().some((s) => s.track)) { // answering: a sender without a track
          const v = m.video && val(this.video), s = await this.#stream(v); // video if both want it
          for (const t of s.getTracks()) if (v || t.kind == "audio") pc.addTrack(t, s);
          if (v) attach(this.localVideo, s);
        }
        // hold: sendonly; resume: sendrecv (RFC 3264 §8.4)
        if (m.direction) for (const t of pc.getTransceivers()) if (!t.stopped) t.direction = m.direction;
        await pc.setLocalDescription(await (answering ? pc.createAnswer() : pc.createOffer()));
        await gathered(pc);
        return { sdp: pc.localDescription.sdp };
      }
      case "set_answer": await pc.setRemoteDescription({ type: "answer", sdp: m.answer }); return;
      case "mute":
        for (const t of this.#tracks()) t.enabled = !m.muted;
        return this.#callUp({ muted: !!m.muted });
      case "send_dtmf": {
        const d = pc?.getSenders().find((s) => s.track?.kind == "audio")?.dtmf;
        if (d && d.canInsertDTMF !== false) return d.insertDTMF(m.digits), { sent: true };
        return { sent: false }; // the server falls back to SIP INFO
      }
      case "stats": return { stats: mapStats(pc && (await pc.getStats())) };
      case "close": return this.#closeMedia();
    }
    throw new Error(`unknown media method: ${m.method}`);
  }

  #newPeer() {
    const pc = (this.#pc = this.createPeerConnection({ iceServers: this.iceServers || this.config.ice_servers || [] }));
    pc.addEventListener("track", (e) => {
      const s = e.streams?.[0] || new MediaStream([e.track]);
      this.remoteStream = s;
      attach(this.audio || (this.#audio ||= G.Audio && new Audio()), s);
      if (e.track.kind == "video") attach(this.remoteVideo, s);
    });
    return pc;
  }

  #closeMedia() {
    this.#pc?.close();
    this.#pc = this.remoteStream = null;
    this.#stopLocal();
    for (const el of [this.audio, this.#audio, this.localVideo, this.remoteVideo]) if (el) el.srcObject = null;
  }
}

function attach(el, stream) {
  if (el && el.srcObject != stream) (el.srcObject = stream), el.play?.().catch(() => {});
}

/** SDP is ready at a host candidate, at gathering's end, or at 300 ms with any (3 s at most) */
export function gathered(pc) {
  return new Promise((done) => {
    if (pc.iceGatheringState == "complete") return done();
    const end = () => { clearTimeout(t1); clearTimeout(t2); pc.removeEventListener("icecandidate", on); done(); };
    const on = (e) => (!e.candidate || e.candidate.type == "host" || / typ host/.test(e.candidate.candidate)) && setTimeout(end);
    const t1 = setTimeout(() => /a=candidate/.test(pc.localDescription?.sdp) && end(), 300), t2 = setTimeout(end, 3e3);
    pc.addEventListener("icecandidate", on);
  });
}

// ---- tones ----

let audioCtx;
/** freqs together, cadence: seconds on, off, ...; returns stop() */
function tone(freqs, cadence, level = 0.12) {
  try {
    (audioCtx ||= new AudioContext()).resume();
    const g = audioCtx.createGain(), os = freqs.map((f) => {
      const o = audioCtx.createOscillator();
      o.frequency.value = f;
      o.connect(g);
      o.start();
      return o;
    });
    g.gain.value = 0;
    g.connect(audioCtx.destination);
    for (let i = 0, t = audioCtx.currentTime; i < 200; t += cadence[i++ % cadence.length]) g.gain.setTargetAtTime(i % 2 ? 0 : level, t, 0.01);
    return () => { os.forEach((o) => o.stop()); g.disconnect(); };
  } catch {
    return () => {};
  }
}
const RING = [[400, 450], [0.4, 0.2, 0.4, 2]], RINGBACK = [[440, 480], [2, 4]];
const KEYS = "123456789*0#", LETTERS = ["", "ABC", "DEF", "GHI", "JKL", "MNO", "PQRS", "TUV", "WXYZ", "", "+", ""];
const keyTone = (k) => { const i = KEYS.indexOf(k), stop = tone([[697, 770, 852, 941][(i / 3) | 0], [1209, 1336, 1477][i % 3]], [9], 0.08); setTimeout(stop, 150); };

// ---- the element ----

const SHOW = ["dialpad", "dialled-number", "answer", "hangup", "hold", "mute", "dial", "status"];
const SIP_ATTRS = { "sip-server": "wsServers", realm: "realm", "display-name": "displayName", cli: "cli", username: "username", password: "password" };
const FLAGS = ["auto-register", "video"];
const ATTRS = ["width", ...SHOW.map((s) => "show-" + s), ...FLAGS, ...Object.keys(SIP_ATTRS), "component", "gateway"];
const prop = (a) => a.replace(/-(.)/g, (_, c) => c.toUpperCase());
const ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6.6 10.8a15 15 0 0 0 6.6 6.6l2.2-2.2c.3-.3.7-.4 1-.2 1.1.4 2.3.6 3.6.6.6 0 1 .4 1 1V20c0 .6-.4 1-1 1A17 17 0 0 1 3 4c0-.6.4-1 1-1h3.5c.6 0 1 .4 1 1 0 1.3.2 2.5.6 3.6.1.3 0 .7-.2 1z"/></svg>';
const CSS = `:host{--wp-accent:#2563eb;--wp-bg:#fff;--wp-fg:#0f172a;--wp-muted:#556073;--wp-key:#eef2f7;--wp-line:#dbe2ea;--wp-call:#15803d;--wp-end:#dc2626;--wp-radius:20px;
display:inline-block;box-sizing:border-box;width:300px;max-width:100%;color:var(--wp-fg);font:15px/1.4 var(--wp-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);text-align:left}
:host([hidden]),[hidden]{display:none!important}*{box-sizing:border-box}
.p{display:grid;gap:12px;padding:16px;background:var(--wp-bg);border:1px solid var(--wp-line);border-radius:var(--wp-radius);box-shadow:0 10px 30px -12px #0f172a40}
.st{display:flex;align-items:center;gap:8px;min-height:22px;font-size:13px;color:var(--wp-muted)}
.dot{flex:none;width:9px;height:9px;border-radius:50%;background:#94a3b8}
[data-tone=ok] .dot{background:var(--wp-call)}[data-tone=busy] .dot{background:var(--wp-accent);animation:b 1s infinite alternate}[data-tone=bad] .dot{background:var(--wp-end)}
@keyframes b{to{opacity:.3}}
.tm{margin-left:auto;font-variant-numeric:tabular-nums;font-weight:600;color:var(--wp-fg)}
.who{text-align:center;overflow-wrap:anywhere}.who b{display:block;font-size:20px;font-weight:600}.who span{font-size:13px;color:var(--wp-muted)}
input{width:100%;padding:10px 12px;border:1px solid var(--wp-line);border-radius:12px;background:var(--wp-bg);color:inherit;font:inherit;font-size:22px;letter-spacing:.04em;text-align:center}
input::placeholder{font-size:15px;letter-spacing:0}
:focus-visible{outline:2px solid var(--wp-accent);outline-offset:2px}
button{display:flex;align-items:center;justify-content:center;gap:6px;border:0;border-radius:14px;background:var(--wp-key);color:inherit;font:inherit;cursor:pointer}
button:hover{filter:brightness(.95)}
.pad{display:grid;grid-template-columns:repeat(3,1fr);gap:8px}
.pad button{flex-direction:column;gap:0;height:50px;font-size:22px;line-height:1.1}.pad small{min-height:10px;font-size:9px;letter-spacing:.14em;color:var(--wp-muted)}
.act{display:flex;flex-wrap:wrap;gap:8px}.act button{flex:1 1 40%;height:46px;border-radius:23px;font-weight:600}[data-part=decline],[data-part=hold],[data-part=mute]{order:-1}
.go,.end{color:#fff;background:var(--wp-call)}.end{background:var(--wp-end)}.end svg{transform:rotate(135deg)}
[aria-pressed=true]{background:var(--wp-accent);color:#fff}
svg{width:18px;height:18px;fill:currentColor}
.vid{position:relative}video{display:block;width:100%;border-radius:12px;background:#000}#lv{position:absolute;right:8px;bottom:8px;width:30%;border:2px solid #fff}`;
const HTML = `<style>${CSS}</style><style id=wd></style><div class=p part=phone>
<div class=st data-part=status part=status><i class=dot></i><span id=s role=status aria-live=polite></span><span class=tm id=t role=timer></span></div>
<div class=who data-part=caller part=caller><b id=wn></b><span id=wu></span></div>
<div class=vid data-part=video part=video><video id=rv autoplay playsinline muted></video><video id=lv autoplay playsinline muted></video></div>
<input data-part=dialled-number part=number type=tel autocomplete=off aria-label="Number to call" placeholder="Number or name">
<div class=pad data-part=dialpad part=dialpad role=group aria-label="Dial pad">${[...KEYS].map((k, i) => `<button data-key="${k}">${k}<small aria-hidden=true>${LETTERS[i]}</small></button>`).join("")}</div>
<div class=act part=actions><button class=go data-part=dial data-do=makeCall>${ICON}Call</button><button class=go data-part=answer data-do=answer>${ICON}Answer</button><button class=end data-part=decline data-do=hangup>${ICON}Decline</button><button class=end data-part=hangup data-do=hangup>${ICON}Hang up</button><button data-part=hold data-do=hold aria-pressed=false>Hold</button><button data-part=mute data-do=mute aria-pressed=false>Mute</button></div>
<audio id=a autoplay></audio></div>`;

/** <web-phone>: attributes are the truth, properties reflect them; Webphone's methods, events and onX */
export class WebPhoneElement extends (G.HTMLElement || class {}) {
  static observedAttributes = ATTRS;

  /** safe to call twice */
  static define(tag = "web-phone", registry = customElements) {
    if (!registry.get(tag)) {
      try { registry.define(tag, this); } catch { registry.define(tag, class extends this {}); }
    }
    return this;
  }

  #phone = null; #$ = null; #off = []; #tick; #stopTone; #tone; #note = ""; #bad; #noteUntil = 0; #noteTimer; #syncing;

  static {
    const P = this.prototype;
    for (const a of ATTRS) {
      Object.defineProperty(P, prop(a), a == "width" ? {
        get() { return widthValue(this.#attr(a)); },
        set(v) { this.setAttribute(a, String(Math.max(0, Math.floor(+v) || 0))); },
      } : a.startsWith("show-") ? {
        get() { return showValue(this.#attr(a)); },
        set(v) { this.setAttribute(a, String(!!v)); },
      } : FLAGS.includes(a) ? {
        get() { return this.#attr(a) != null; },
        set(v) { this.toggleAttribute(a, !!v); },
      } : {
        get() { return this.#attr(a) ?? ""; },
        set(v) { this.setAttribute(a, v); },
      });
    }
    for (const m of ["setConfig", "register", "unregister", "dialpadPress", "makeCall", "answer", "hangup", "hold", "unhold", "mute", "unmute"]) {
      P[m] = function (...args) { return this.phone[m](...args); };
    }
  }

  /** the internal Webphone (a new one after a reconnect) */
  get phone() {
    return (this.#phone ||= new Webphone({ gateway: this.gateway || undefined, component: this.component, autoRegister: () => this.autoRegister, video: () => this.video }));
  }
  /** @returns {import("./webphone.d.ts").PhoneState} */
  get state() { return this.phone.state; }

  connectedCallback() {
    // replay properties set before the upgrade
    for (const k of ATTRS.map(prop)) if (Object.hasOwn(this, k)) { const v = this[k]; delete this[k]; this[k] = v; }
    if (!this.#$) {
      this.attachShadow({ mode: "open" }).innerHTML = HTML;
      this.#$ = Object.fromEntries([...this.shadowRoot.querySelectorAll("[id],[data-part]")].map((el) => [el.dataset.part || el.id, el]));
    }
    const p = this.phone, $ = this.#$, root = this.shadowRoot;
    Object.assign(p, { audio: $.a, localVideo: $.lv, remoteVideo: $.rv });
    const on = (t, type, f) => (t.addEventListener(type, f), this.#off.push(() => t.removeEventListener(type, f)));
    for (const type of EVENTS) on(p, type, (e) => {
      if (type == "end") this.#say(`Call ended${e.detail?.reason ? ": " + e.detail.reason : ""}`, e.detail?.sip_status >= 400);
      if (type == "error") this.#say(e.detail.message);
      if (type == "ringingin") this.#say("");
      if (type == "statechange") this.#render();
      fire(this, type, e.detail);
    });
    on(root, "click", (e) => this.#click(e));
    on(root, "keydown", (e) => this.#key(e));
    on($["dialled-number"], "input", (e) => (p.number = e.target.value));
    p.setConfig(this.#sipConfig()).catch((e) => this.#say(e.message));
    p.connect();
    this.#render();
  }

  disconnectedCallback() {
    this.#off.splice(0).forEach((f) => f());
    this.#phone?.close();
    this.#phone = null;
    clearInterval(this.#tick);
    clearTimeout(this.#noteTimer);
    this.#tick = null;
    this.#ring(null);
  }

  attributeChangedCallback(a, old, v) {
    if (old === v || !this.#$ || !this.isConnected) return;
    if (a == "gateway" || a == "component") { this.disconnectedCallback(); return this.connectedCallback(); } // a new session
    if (a in SIP_ATTRS && !this.#syncing) {
      this.#syncing = true;
      queueMicrotask(() => {
        this.#syncing = false;
        const p = this.phone;
        p.setConfig(this.#sipConfig()).then(() => (p.state.registration == "registered" || this.autoRegister) && p.register()).catch((e) => this.#say(e.message));
      });
    }
    if (a == "auto-register" && v != null && this.phone.state.connection == "connected" && this.phone.state.registration == "unregistered") this.phone.register().catch((e) => this.#say(e.message));
    this.#render();
  }

  // the attribute, else the saved component's setting
  #attr(a) {
    const own = this.getAttribute(a);
    if (own != null) return own;
    const c = this.#phone?.config || {}, v = c[a.replace(/-/g, "_")] ?? c[prop(a)];
    return v == null || (v === false && FLAGS.includes(a)) ? null : String(v);
  }
  #sipConfig() {
    const c = {};
    for (const [a, k] of Object.entries(SIP_ATTRS)) if (this.hasAttribute(a)) c[k] = this.getAttribute(a);
    return c;
  }

  #say(text, bad = true) {
    this.#note = text;
    this.#bad = bad;
    this.#noteUntil = Date.now() + 6e3;
    clearTimeout(this.#noteTimer);
    this.#noteTimer = setTimeout(() => this.#render(), 6e3);
    this.#render();
  }

  #act(name) {
    const p = this.phone, c = p.state.call;
    if (name == "makeCall") this.#say("");
    if (name == "hold" && c?.held) name = "unhold";
    if (name == "mute" && c?.muted) name = "unmute";
    p[name]().catch((e) => this.#say(e.message));
  }

  #click(e) {
    const b = e.target.closest?.("button");
    if (audioCtx?.state == "suspended") audioCtx.resume();
    if (b?.dataset.key) this.#press(b.dataset.key);
    else if (b?.dataset.do) this.#act(b.dataset.do);
  }

  #press(k) {
    keyTone(k);
    this.phone.dialpadPress(k).catch((e) => this.#say(e.message));
  }

  #key(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const c = this.phone.state.call, t = e.composedPath()[0], typing = t == this.#$["dialled-number"] && !c;
    if (e.key == "Enter" && !t.dataset?.do && (!c || c.state == "incoming")) this.#act(c ? "answer" : "makeCall");
    else if (e.key == "Escape" && c) this.#act("hangup");
    else if (/^[\d*#]$/.test(e.key) && !typing) this.#press(e.key);
    else if (e.key == "Backspace" && !c && !typing) this.phone.number = this.phone.number.slice(0, -1);
    else return;
    e.preventDefault();
  }

  #ring(kind) {
    if (kind == this.#tone) return;
    this.#stopTone?.();
    this.#stopTone = kind && tone(...(kind == "ring" ? RING : RINGBACK));
    this.#tone = kind;
  }

  #render() {
    const $ = this.#$;
    if (!$) return;
    const f = this.shadowRoot.activeElement, s = this.phone.state, c = s.call, st = c?.state, show = (n) => this[prop("show-" + n)], note = Date.now() < this.#noteUntil && this.#note;
    const parts = { status: show("status"), caller: show("status") && c, video: c?.video && this.video, "dialled-number": show("dialled-number") && (!c || c.dtmf),
      dialpad: show("dialpad"), dial: show("dial") && !c, answer: show("answer") && st == "incoming", decline: show("hangup") && st == "incoming",
      hangup: show("hangup") && c && st != "incoming", hold: show("hold") && st == "active", mute: show("mute") && st == "active" };
    for (const k in parts) $[k].hidden = !parts[k];
    const w = this.width ? `:host{width:${this.width}px}` : "";
    if ($.wd.textContent != w) $.wd.textContent = w;
    const text = note || statusText(s);
    if ($.s.textContent != text) $.s.textContent = text;
    $.status.dataset.tone = (note && this.#bad) || s.connection == "closed" ? "bad" : s.connection != "connected" || (c && st != "active") ? "busy"
      : c || s.registration == "registered" ? "ok" : "";
    $.wn.textContent = c ? c.name || c.user || c.remote : "";
    $.wu.textContent = c && (c.name || c.user) ? c.remote : "";
    $.t.textContent = st == "active" ? clock(Date.now() - c.answeredAt) : "";
    if (st == "active" && !this.#tick) this.#tick = setInterval(() => this.#render(), 1e3);
    if (st != "active") clearInterval(this.#tick), (this.#tick = null);
    $.hold.setAttribute("aria-pressed", String(!!c?.held));
    $.mute.setAttribute("aria-pressed", String(!!c?.muted));
    const n = $["dialled-number"];
    n.readOnly = !!c;
    if (n.value != (c ? c.dtmf : s.number)) n.value = c ? c.dtmf : s.number;
    this.#ring(st == "incoming" ? "ring" : st == "ringing" && !c.earlyMedia ? "back" : null);
    // keep keyboard focus in the phone when the focused control is hidden (Call, once calling)
    if (f?.closest("[hidden]")) this.shadowRoot.querySelector(".act button:not([hidden])")?.focus();
  }
}

// data-no-define on the script: the page calls WebPhoneElement.define(tag)
if (G.customElements && ![...(G.document?.scripts || [])].some((s) => s.src == SCRIPT_URL && s.hasAttribute("data-no-define"))) WebPhoneElement.define();
