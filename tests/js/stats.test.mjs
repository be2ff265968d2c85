// mapStats: the `stats` media result from what Chromium's getStats() returns.
import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./helpers.mjs";

const { mapStats } = await load();

const report = (...stats) => new Map(stats.map((s) => [s.id, s]));

// Shaped like Chromium's report for an answered audio call (fields trimmed to those used).
const CHROMIUM = report(
  { id: "OT01A", type: "outbound-rtp", kind: "audio", packetsSent: 151, bytesSent: 12345, codecId: "COT01_111" },
  { id: "IT01A", type: "inbound-rtp", kind: "audio", packetsReceived: 148, bytesReceived: 12200, packetsLost: 2, jitter: 0.0012, codecId: "CIT01_111" },
  { id: "RI01A", type: "remote-inbound-rtp", kind: "audio", roundTripTime: 0.0004 },
  { id: "IT01V", type: "inbound-rtp", kind: "video", packetsReceived: 9999, codecId: "CIT01_96" },
  { id: "CIT01_111", type: "codec", mimeType: "audio/opus", clockRate: 48000, channels: 2 },
  { id: "CIT01_96", type: "codec", mimeType: "video/VP8", clockRate: 90000 },
  { id: "T01", type: "transport", selectedCandidatePairId: "CP1" },
  { id: "CP0", type: "candidate-pair", localCandidateId: "L2", remoteCandidateId: "R2", state: "failed" },
  { id: "CP1", type: "candidate-pair", localCandidateId: "L1", remoteCandidateId: "R1", state: "succeeded", nominated: true, currentRoundTripTime: 0.001 },
  { id: "L1", type: "local-candidate", address: "127.0.0.1", port: 50000 },
  { id: "R1", type: "remote-candidate", address: "127.0.0.1", port: 40000 },
  { id: "L2", type: "local-candidate", address: "10.0.0.1", port: 1 },
);

test("an answered call: codec, packets, bytes, loss, jitter and round trip in ms, the selected pair's addresses", () => {
  assert.deepEqual(mapStats(CHROMIUM), {
    codec: "opus/48000/2", packets_sent: 151, packets_received: 148, bytes_sent: 12345, bytes_received: 12200,
    packets_lost: 2, jitter_ms: 1.2, rtt_ms: 0.4, local_address: "127.0.0.1:50000", remote_address: "127.0.0.1:40000",
  });
});

test("without remote-inbound-rtp the round trip comes from the candidate pair; mono codecs have no channel count", () => {
  const s = mapStats(report(
    { id: "I", type: "inbound-rtp", kind: "audio", codecId: "C", jitter: 0.02 },
    { id: "C", type: "codec", mimeType: "audio/PCMU", clockRate: 8000, channels: 1 },
    { id: "P", type: "candidate-pair", nominated: true, state: "succeeded", currentRoundTripTime: 0.0305, localCandidateId: "L", remoteCandidateId: "R" },
    { id: "L", type: "local-candidate", ip: "192.0.2.1", port: 5000 },
    { id: "R", type: "remote-candidate", ip: "192.0.2.2", port: 6000 },
  ));
  assert.equal(s.codec, "PCMU/8000");
  assert.equal(s.rtt_ms, 30.5);
  assert.equal(s.jitter_ms, 20);
  assert.equal(s.local_address, "192.0.2.1:5000");
  assert.equal(s.remote_address, "192.0.2.2:6000");
});

test("nothing known: every field null", () => {
  const empty = mapStats(new Map());
  assert.ok(Object.values(empty).every((v) => v === null));
  assert.deepEqual(mapStats(null), empty);
  assert.deepEqual(Object.keys(empty), ["codec", "packets_sent", "packets_received", "bytes_sent", "bytes_received",
    "packets_lost", "jitter_ms", "rtt_ms", "local_address", "remote_address"]);
});
