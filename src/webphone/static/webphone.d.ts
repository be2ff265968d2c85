// Types for webphone.js: the <web-phone> element and the headless Webphone API.
// Reference: docs/component.md. Wire protocol: docs/protocol.md. CDR: docs/cdr.md.

/** The SIP settings of the seed's setConfig(); all optional. */
export interface SipConfig {
  /** SIP-over-WebSocket servers, in failover order: a list or a comma-separated string. */
  wsServers?: string | string[];
  username?: string;
  password?: string;
  displayName?: string;
  /** The calling line identity presented on outgoing calls. */
  cli?: string;
  realm?: string;
}

export interface WebphoneOptions extends SipConfig {
  /** The gateway's WebSocket URL; default: ws(s)://<the script's host>/gateway. */
  gateway?: string;
  /** A component saved on the server: its settings (and secrets) stay there. */
  component?: string;
  /** Sent in hello for the server to check (for example a signed admin preview). */
  ticket?: string;
  /** Register after each new session (a function is asked each time). */
  autoRegister?: boolean | (() => boolean);
  /** Video calls: camera and remote video. */
  video?: boolean | (() => boolean);
  /** Plays the remote audio; default: a detached `new Audio()`. */
  audio?: HTMLMediaElement;
  localVideo?: HTMLVideoElement;
  remoteVideo?: HTMLVideoElement;
  /** Default: the server's `config.ice_servers`, else none (host candidates only). */
  iceServers?: RTCIceServer[];
  /** A WebSocket class (tests). */
  WebSocket?: typeof WebSocket;
}

export interface CallState {
  /** The SIP Call-ID; null until the server has given it. */
  id: string | null;
  direction: "outgoing" | "incoming";
  /** calling: INVITE sent; ringing: 180/183 received; incoming: ringing here; active: answered. */
  state: "calling" | "ringing" | "incoming" | "active";
  /** The address dialled, or the caller's URI. */
  remote: string;
  /** The caller's display name and user part (incoming calls). */
  name?: string | null;
  user?: string | null;
  video: boolean;
  /** We put the call on hold. */
  held: boolean;
  /** The far end put the call on hold. */
  remoteHeld: boolean;
  muted: boolean;
  earlyMedia?: boolean;
  /** DTMF digits sent in this call, shown in the number box. */
  dtmf?: string;
  /** Date.now() at the answer. */
  answeredAt?: number;
}

export interface PhoneState {
  /** The page's WebSocket to the gateway. */
  connection: "idle" | "connecting" | "connected" | "reconnecting" | "closed";
  registration: "unregistered" | "registering" | "registered";
  call: CallState | null;
  /** The number being dialled. */
  number: string;
}

/** The call detail record (docs/cdr.md). */
export interface Cdr {
  call_id: string;
  direction: "outgoing" | "incoming";
  from: string;
  to: string;
  from_name: string | null;
  to_name: string | null;
  cli: string | null;
  server: string | null;
  started_at: string;
  ringing_at: string | null;
  answered_at: string | null;
  ended_at: string;
  ring_seconds: number | null;
  talk_seconds: number;
  ended_by: "local" | "remote" | "system";
  sip_status: number | null;
  reason: string | null;
  media: {
    codec: string | null;
    packets_sent: number | null;
    packets_received: number | null;
    bytes_sent: number | null;
    bytes_received: number | null;
    packets_lost: number | null;
    jitter_ms: number | null;
    rtt_ms: number | null;
    mos: number | null;
  };
}

export interface ErrorDetail {
  /** auth_failed, forbidden, unreachable, register_failed, media_failed, call_failed, hold_failed, dtmf_failed, resume_failed, ... */
  code: string;
  /** In words, for people. */
  message: string;
  sipStatus: number | null;
  callId?: string | null;
}

export interface WebphoneEventMap {
  answer: CustomEvent<{ callId: string; direction: "outgoing" | "incoming"; remoteUri: string }>;
  ringingout: CustomEvent<{ callId: string; status: 180 | 183; earlyMedia: boolean }>;
  ringingin: CustomEvent<{ callId: string; fromUri: string; fromName: string | null; fromUser: string | null; video: boolean }>;
  end: CustomEvent<Cdr>;
  registered: CustomEvent<{ server: string; expires: number }>;
  unregistered: CustomEvent<{ reason: string }>;
  error: CustomEvent<ErrorDetail>;
  /** via "gateway": the page's WebSocket; via "sip": the server's SIP connection. */
  connection: CustomEvent<{ via: "gateway" | "sip"; state: string; server?: string | null; reason?: string | null }>;
  hold: CustomEvent<{ callId: string; local: boolean; remote: boolean }>;
  dtmf: CustomEvent<{ callId: string; digit: string; method: "info" | "rfc4733" }>;
  statechange: CustomEvent<PhoneState>;
}

/** The seed's handler properties: called with the event's detail, then the event. */
export interface WebphoneHandlers {
  onAnswer: ((detail: WebphoneEventMap["answer"]["detail"], event: CustomEvent) => void) | null;
  onRingingOut: ((detail: WebphoneEventMap["ringingout"]["detail"], event: CustomEvent) => void) | null;
  onRingingIn: ((detail: WebphoneEventMap["ringingin"]["detail"], event: CustomEvent) => void) | null;
  onEnd: ((cdr: Cdr, event: CustomEvent) => void) | null;
  onRegistered: ((detail: WebphoneEventMap["registered"]["detail"], event: CustomEvent) => void) | null;
  onUnregistered: ((detail: WebphoneEventMap["unregistered"]["detail"], event: CustomEvent) => void) | null;
  onError: ((detail: ErrorDetail, event: CustomEvent) => void) | null;
}

/** The seed's API. Every method returns a Promise that rejects with an Error carrying `code` and `sipStatus`. */
export interface PhoneApi {
  setConfig(config: SipConfig): Promise<void>;
  register(): Promise<{ server?: string; expires?: number }>;
  unregister(): Promise<void>;
  /** DTMF in an answered call; otherwise appends the key (0-9 * # A-D) to the number. */
  dialpadPress(digit: string): Promise<void>;
  /** Calls `address` (default: the number dialled); resolves with the Call-ID once dialling. */
  makeCall(address?: string, video?: boolean): Promise<string>;
  answer(): Promise<void>;
  hangup(): Promise<void>;
  hold(): Promise<void>;
  unhold(): Promise<void>;
  /** The far end hears silence. */
  mute(): Promise<void>;
  unmute(): Promise<void>;
}

export interface Webphone extends WebphoneHandlers {
  addEventListener<K extends keyof WebphoneEventMap>(type: K, listener: (this: Webphone, ev: WebphoneEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof WebphoneEventMap>(type: K, listener: (this: Webphone, ev: WebphoneEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

/** A phone without UI: for pages that draw their own. */
export class Webphone extends EventTarget implements PhoneApi {
  constructor(options?: WebphoneOptions);
  readonly state: PhoneState;
  /** Public settings from the server's hello (a saved component's). */
  readonly config: Record<string, unknown>;
  /** The number being dialled. */
  number: string;
  autoRegister: boolean | (() => boolean);
  video: boolean | (() => boolean);
  component: string;
  ticket: string;
  audio?: HTMLMediaElement;
  localVideo?: HTMLVideoElement;
  remoteVideo?: HTMLVideoElement;
  iceServers?: RTCIceServer[];
  /** The far end's media while in a call. */
  readonly remoteStream: MediaStream | null;
  /** Opens the session now (any method opens it too). */
  connect(): this;
  /** Closes the peer connection and the socket. */
  close(): void;
  setConfig(config: SipConfig): Promise<void>;
  register(): Promise<{ server?: string; expires?: number }>;
  unregister(): Promise<void>;
  dialpadPress(digit: string): Promise<void>;
  makeCall(address?: string, video?: boolean): Promise<string>;
  answer(): Promise<void>;
  hangup(): Promise<void>;
  hold(): Promise<void>;
  unhold(): Promise<void>;
  mute(): Promise<void>;
  unmute(): Promise<void>;
  /** Seam for tests: the call's peer connection. */
  createPeerConnection(config: RTCConfiguration): RTCPeerConnection;
  /** Seam for tests: the microphone (and camera). */
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>;
}

export interface WebPhoneElement extends WebphoneHandlers {
  addEventListener<K extends keyof WebphoneEventMap>(type: K, listener: (this: WebPhoneElement, ev: WebphoneEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: WebPhoneElement, ev: HTMLElementEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
}

/** `<web-phone>`: a whole softphone from one tag. */
export class WebPhoneElement extends HTMLElement implements PhoneApi {
  static readonly observedAttributes: string[];
  /** Registers the element (safe to call twice). */
  static define(tag?: string, registry?: CustomElementRegistry): typeof WebPhoneElement;
  /** The internal Webphone (a new one, new session, each time the element is connected). */
  readonly phone: Webphone;
  readonly state: PhoneState;
  /** The `width` attribute in CSS pixels; 0: the default (300px, never wider than the container). */
  width: number;
  showDialpad: boolean;
  showDialledNumber: boolean;
  showAnswer: boolean;
  showHangup: boolean;
  showHold: boolean;
  showMute: boolean;
  showDial: boolean;
  showStatus: boolean;
  autoRegister: boolean;
  video: boolean;
  sipServer: string;
  realm: string;
  displayName: string;
  cli: string;
  username: string;
  password: string;
  component: string;
  gateway: string;
  setConfig(config: SipConfig): Promise<void>;
  register(): Promise<{ server?: string; expires?: number }>;
  unregister(): Promise<void>;
  dialpadPress(digit: string): Promise<void>;
  makeCall(address?: string, video?: boolean): Promise<string>;
  answer(): Promise<void>;
  hangup(): Promise<void>;
  hold(): Promise<void>;
  unhold(): Promise<void>;
  mute(): Promise<void>;
  unmute(): Promise<void>;
}

/** The protocol client under Webphone (exported for tests). */
export class Gateway extends EventTarget {
  constructor(url: string, options?: { WebSocket?: typeof WebSocket; hello?: () => object; media?: (request: Record<string, unknown>) => Promise<object | void> });
  readonly state: "idle" | "connecting" | "connected" | "reconnecting" | "closed";
  readonly ready: boolean;
  readonly token: string | null;
  readonly lastSeq: number;
  connect(): void;
  request(op: string, fields?: object, now?: boolean): Promise<Record<string, unknown>>;
  close(): void;
}

export function gatewayURL(base?: string): string;
export function showValue(value: string | null): boolean;
export function widthValue(value: string | null): number;
export function serverList(value: string | string[] | null | undefined): string[];
export function backoff(attempt: number, random?: number): number;
export function clock(ms: number): string;
export function camel(o: Record<string, unknown>): Record<string, unknown>;
export function mapStats(report: { values(): Iterable<any> } | null): {
  codec: string | null; packets_sent: number | null; packets_received: number | null; bytes_sent: number | null;
  bytes_received: number | null; packets_lost: number | null; jitter_ms: number | null; rtt_ms: number | null;
  local_address: string | null; remote_address: string | null;
};
export function explainMediaError(error: unknown): Error & { code: "media_failed"; sipStatus: null };
export function statusText(state: PhoneState): string;
export function gathered(pc: RTCPeerConnection): Promise<void>;

declare global {
  interface HTMLElementTagNameMap {
    "web-phone": WebPhoneElement;
  }
}
