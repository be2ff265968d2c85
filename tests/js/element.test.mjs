// <web-phone>'s attributes and properties, without a browser: the element class on a fake attribute store.
import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./helpers.mjs";

const { WebPhoneElement, showValue, widthValue, serverList, statusText, clock } = await load();

/** The element class over a Map of attributes (node has no DOM; the constructor must not need one). */
class TestPhone extends WebPhoneElement {
  attrs = new Map();
  getAttribute(n) { return this.attrs.has(n) ? this.attrs.get(n) : null; }
  setAttribute(n, v) { this.attrs.set(n, String(v)); }
  hasAttribute(n) { return this.attrs.has(n); }
  removeAttribute(n) { this.attrs.delete(n); }
  toggleAttribute(n, force) { if (force) this.attrs.set(n, ""); else this.attrs.delete(n); return !!force; }
}

test("show-* values: only \"false\" (any case, spaces around) hides; absent, empty or junk shows", () => {
  for (const [v, want] of [[null, true], ["", true], ["true", true], ["TRUE", true], ["yes", true], ["0", true],
    ["false", false], ["False", false], [" false ", false], ["FALSE", false]]) {
    assert.equal(showValue(v), want, `show-x=${JSON.stringify(v)}`);
  }
});

test("width parses like <img width>: leading digits, junk is 0", () => {
  for (const [v, want] of [[null, 0], ["", 0], ["320", 320], [" 320", 320], ["+320", 320], ["320px", 320], ["32.9", 32],
    ["abc", 0], ["-5", 0], ["99999999999", 2 ** 31 - 1]]) {
    assert.equal(widthValue(v), want, `width=${JSON.stringify(v)}`);
  }
});

test("sip-server is a comma-separated failover list", () => {
  assert.deepEqual(serverList("wss://a.example/ws, wss://b.example/ws ,,"), ["wss://a.example/ws", "wss://b.example/ws"]);
  assert.deepEqual(serverList(["wss://a", " "]), ["wss://a"]);
  assert.deepEqual(serverList(undefined), []);
});

test("every Config attribute is observed", () => {
  assert.deepEqual([...WebPhoneElement.observedAttributes].sort(), [
    "auto-register", "cli", "component", "display-name", "gateway", "password", "realm", "show-answer", "show-dial",
    "show-dialled-number", "show-dialpad", "show-hangup", "show-hold", "show-mute", "show-status", "sip-server", "username",
    "video", "width",
  ]);
});

test("the constructor does no DOM work: it runs with no DOM at all", () => {
  assert.doesNotThrow(() => new TestPhone());
});

test("show-* properties reflect the attribute; setting writes \"true\"/\"false\"", () => {
  const el = new TestPhone();
  assert.equal(el.showDialpad, true);
  el.setAttribute("show-dialpad", "false");
  assert.equal(el.showDialpad, false);
  el.setAttribute("show-dialpad", "junk");
  assert.equal(el.showDialpad, true);
  el.showDialledNumber = false;
  assert.equal(el.getAttribute("show-dialled-number"), "false");
  el.showDialledNumber = 1;
  assert.equal(el.getAttribute("show-dialled-number"), "true");
  for (const p of ["showAnswer", "showHangup", "showHold", "showMute", "showDial", "showStatus"]) assert.equal(el[p], true, p);
});

test("auto-register and video are boolean attributes: present is true, whatever the value", () => {
  const el = new TestPhone();
  assert.equal(el.autoRegister, false);
  el.setAttribute("auto-register", "");
  assert.equal(el.autoRegister, true);
  el.setAttribute("auto-register", "false");
  assert.equal(el.autoRegister, true, "like disabled=\"false\"");
  el.autoRegister = false;
  assert.equal(el.hasAttribute("auto-register"), false);
  el.video = "yes";
  assert.equal(el.getAttribute("video"), "");
});

test("width reflects as a number; junk set through the property becomes 0", () => {
  const el = new TestPhone();
  assert.equal(el.width, 0);
  el.setAttribute("width", "280px");
  assert.equal(el.width, 280);
  el.width = 320.7;
  assert.equal(el.getAttribute("width"), "320");
  el.width = -3;
  assert.equal(el.getAttribute("width"), "0");
  el.width = "abc";
  assert.equal(el.width, 0);
});

test("string attributes reflect as strings, \"\" when absent", () => {
  const el = new TestPhone();
  const props = { "sip-server": "sipServer", realm: "realm", "display-name": "displayName", cli: "cli", username: "username",
    password: "password", component: "component", gateway: "gateway" };
  for (const [a, p] of Object.entries(props)) {
    assert.equal(el[p], "", p);
    el[p] = `v-${a}`;
    assert.equal(el.getAttribute(a), `v-${a}`);
    assert.equal(el[p], `v-${a}`);
  }
});

test("the element has the seed's methods, delegated to its Webphone", () => {
  const el = new TestPhone();
  for (const m of ["setConfig", "register", "unregister", "dialpadPress", "makeCall", "answer", "hangup", "hold", "unhold", "mute", "unmute"]) {
    assert.equal(typeof el[m], "function", m);
  }
  el.setAttribute("gateway", "ws://127.0.0.1:1/gateway");
  assert.equal(el.phone, el.phone, "one Webphone per connection");
  assert.equal(el.state.call, null);
});

test("define() is safe to call twice, and can register the class under a second tag", () => {
  const defined = new Map();
  const registry = {
    get: (tag) => defined.get(tag),
    define(tag, cls) {
      if (defined.has(tag)) throw new Error(`${tag} already defined`);
      if ([...defined.values()].includes(cls)) throw new Error("this constructor has already been used");
      defined.set(tag, cls);
    },
  };
  assert.equal(TestPhone.define("web-phone", registry), TestPhone);
  TestPhone.define("web-phone", registry);
  assert.equal(defined.get("web-phone"), TestPhone);
  TestPhone.define("my-phone", registry);
  assert.ok(defined.get("my-phone").prototype instanceof TestPhone);
});

test("the status line says what is happening", () => {
  const base = { connection: "connected", registration: "registered", call: null, number: "" };
  const call = (c) => ({ ...base, call: { remote: "bob", held: false, remoteHeld: false, muted: false, ...c } });
  for (const [s, want] of [
    [{ ...base, connection: "connecting" }, "Connecting…"],
    [{ ...base, connection: "reconnecting" }, "Connection lost, reconnecting…"],
    [base, "Registered, ready for calls"],
    [{ ...base, registration: "registering" }, "Registering…"],
    [{ ...base, registration: "unregistered" }, "Connected, not registered"],
    [call({ state: "calling" }), "Calling bob…"],
    [call({ state: "ringing" }), "Ringing bob…"],
    [call({ state: "incoming", name: "Bob Smith" }), "Incoming call from Bob Smith"],
    [call({ state: "active" }), "In call"],
    [call({ state: "active", muted: true }), "In call, muted"],
    [call({ state: "active", held: true }), "On hold"],
    [call({ state: "active", remoteHeld: true }), "Held by the other party"],
  ]) assert.equal(statusText(s), want);
});

test("the call timer reads mm:ss", () => {
  assert.equal(clock(0), "00:00");
  assert.equal(clock(61_999), "01:01");
  assert.equal(clock(3_600_000), "60:00");
  assert.equal(clock(-5), "00:00");
});
